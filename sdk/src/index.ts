/**
 * @panecast/sdk: send events to a Panecast collector from browsers and Node.
 *
 *   import { createClient } from '@panecast/sdk';
 *   const panecast = createClient({ url: 'https://collect.example.com', apiKey: 'pk_…' });
 *   panecast.track('page_view', { path: location.pathname });
 *   await panecast.close();   // Node: before the process exits
 */
export { createClient } from './client';
export { fullJitter, retryAfterMs, retryDelay } from './backoff';
export { SDK_CODES, type SdkCode } from './codes';
export type {
  AnyEvents,
  ClientOptions,
  ClientState,
  ClientStats,
  DeliveryError,
  EventFields,
  EventSchema,
  EventTime,
  FieldValue,
  OverflowPolicy,
  PanecastClient,
  RetryOptions,
  TrackArgs,
  TrackFields,
} from './types';
