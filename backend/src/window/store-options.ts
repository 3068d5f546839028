/**
 * The pane store's settings: the two tiers' pane lengths and retentions and the
 * allowed lateness, with their defaults. Resolved and checked once, so a bad
 * combination stops start-up with the rule it breaks, not a store that
 * silently serves wrong windows.
 */
import { PanecastError } from '../errors';
import { DEFAULT_PANE_MS } from './assigners';

export const DEFAULT_ALLOWED_LATENESS_MS = 60_000;
/** Fine tier: 1 h of 1 s panes, the largest window served at full resolution. */
export const DEFAULT_FINE_RETENTION_MS = 3_600_000;
export const DEFAULT_COARSE_PANE_MS = 60_000;
/** Coarse tier: 24 h of 1 min panes. */
export const DEFAULT_COARSE_RETENTION_MS = 86_400_000;

export interface StoreOptions {
  /** Base resolution of the fine tier. */
  paneMs: number;
  /** How far behind the watermark an event may still update its pane (and cause a correction). */
  allowedLatenessMs: number;
  fineRetentionMs: number;
  coarsePaneMs: number;
  coarseRetentionMs: number;
}

export const DEFAULT_STORE_OPTIONS: Readonly<StoreOptions> = Object.freeze({
  paneMs: DEFAULT_PANE_MS,
  allowedLatenessMs: DEFAULT_ALLOWED_LATENESS_MS,
  fineRetentionMs: DEFAULT_FINE_RETENTION_MS,
  coarsePaneMs: DEFAULT_COARSE_PANE_MS,
  coarseRetentionMs: DEFAULT_COARSE_RETENTION_MS,
});

function optionError(option: string, rule: string): PanecastError {
  return new PanecastError('PANECAST_ERR_ENGINE_OPTION', { option, rule });
}

/** Fills defaults and checks the rules between the settings; frozen. */
export function resolveStoreOptions(partial: Partial<StoreOptions> = {}): Readonly<StoreOptions> {
  const options: StoreOptions = { ...DEFAULT_STORE_OPTIONS, ...partial };
  for (const [name, value] of Object.entries(options)) {
    if (!Number.isInteger(value) || value < (name === 'allowedLatenessMs' ? 0 : 1)) {
      throw optionError(name, `must be a ${name === 'allowedLatenessMs' ? 'non-negative' : 'positive'} integer of ms, got ${value}`);
    }
  }
  if (options.coarsePaneMs % options.paneMs !== 0) {
    throw optionError('coarsePaneMs', `must be a multiple of paneMs (${options.paneMs} ms)`);
  }
  const minimumFine = options.coarsePaneMs + options.allowedLatenessMs + options.paneMs;
  if (options.fineRetentionMs < minimumFine) {
    throw optionError('fineRetentionMs', `must be at least coarsePaneMs + allowedLatenessMs + paneMs (${minimumFine} ms)`);
  }
  if (options.coarseRetentionMs < options.fineRetentionMs) {
    throw optionError('coarseRetentionMs', 'must be at least fineRetentionMs');
  }
  return Object.freeze(options);
}
