/**
 * The collector's core: body → validated events → appended to the log.
 * All or nothing: one invalid event rejects the batch with every error
 * listed, and the answer comes only after the log acknowledged the batch.
 * A request's events of one partition key share records (event-records.ts).
 */
import type { EventLog } from '../buffer/event-log';
import { PanecastError, type ErrorCode } from '../errors';
import { DEFAULT_TENANT } from '../window/tenancy';
import { DEFAULT_LIMITS, isEventError, validateEvent, type EventError, type ValidationLimits } from './event';
import { RecordPacker } from './event-records';
import { originOf } from './idempotency';
import { parseBody, type BodyFormat } from './parse';
import { clockOffsetOf } from './sent-at';

export interface CollectorOptions {
  maxBatchEvents: number;
  limits?: ValidationLimits;
}

/** Who sent a batch and how to recognise its retries; both optional (the open embedded collector). */
export interface IngestContext {
  /** From the API key (collector-auth.ts); absent or DEFAULT_TENANT: the default tenant. */
  tenant?: string;
  /** The request's idempotency key (idempotency.ts). */
  idempotencyKey?: string;
  /** The sender's clock when it sent the request, epoch ms (the `sent-at` header, sent-at.ts). */
  sentAt?: number;
}

/** At most this many per-event errors are listed in one answer. */
const MAX_LISTED_ERRORS = 100;

/** Answers of `POST /v1/events` other than 202, by the catalogue code each was answered with. */
export type RefusalCounts = Partial<Record<ErrorCode, number>>;

export class Collector {
  private acceptedTotal = 0;
  /**
   * Batches ingest() refused once their body was read (malformed, invalid, too many events, the log's
   * refusal). Each is also counted in `refused`, under the code it was answered with; `refused` counts
   * besides every refusal before the body was read (keys, headers, media type, size, busy, timeout).
   * So rejectedBatches is the sum of `refused` over the codes ingest() raises (INTERNAL for a fault
   * of its own), less any batch whose client left before an unexpected failure could be answered.
   */
  private rejectedBatches = 0;
  /** Filled by the HTTP route where an error becomes its coded answer (http/server.ts), not at each throw. */
  private readonly refused: RefusalCounts = {};
  /** Accepted batches whose event times were moved to correct the sender's clock. */
  private clockCorrectedBatches = 0;

  constructor(
    private readonly log: EventLog,
    private readonly options: CollectorOptions,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Returns the number of events accepted; throws a PanecastError otherwise. */
  async ingest(body: string, format: BodyFormat, context: IngestContext = {}): Promise<number> {
    try {
      return await this.ingestUnchecked(body, format, context);
    } catch (error) {
      this.rejectedBatches++;
      throw error;
    }
  }

  private async ingestUnchecked(body: string, format: BodyFormat, context: IngestContext): Promise<number> {
    const raw = parseBody(body, format);
    if (raw.length > this.options.maxBatchEvents) {
      throw new PanecastError('PANECAST_ERR_BATCH_TOO_LARGE', { count: raw.length, limit: this.options.maxBatchEvents });
    }
    // One clock reading per batch: events without `ts` share the ingest time.
    const now = this.clock();
    // `now` is read after the body arrived, so the gap includes the upload: the threshold absorbs it.
    const tsOffset = clockOffsetOf(context.sentAt, now);
    const limits = this.options.limits ?? DEFAULT_LIMITS;
    const packer = new RecordPacker();
    const errors: EventError[] = [];
    // The default tenant is left implicit, so its records stay as they always were.
    const tenant = context.tenant === DEFAULT_TENANT ? undefined : context.tenant;
    const origin = context.idempotencyKey === undefined ? undefined : originOf(tenant ?? DEFAULT_TENANT, context.idempotencyKey, body, now);
    raw.forEach((item, index) => {
      const checked = validateEvent(item, index, now, limits, tsOffset);
      if (isEventError(checked)) {
        errors.push(checked);
      } else {
        if (tenant !== undefined) {
          checked.tenant = tenant;
        }
        if (origin !== undefined) {
          checked.origin = origin;
        }
        packer.add(checked);
      }
    });
    if (errors.length > 0) {
      throw new PanecastError(
        'PANECAST_ERR_INVALID_EVENTS',
        { count: errors.length, total: raw.length },
        { errors: errors.slice(0, MAX_LISTED_ERRORS), truncated: errors.length > MAX_LISTED_ERRORS },
      );
    }
    try {
      await this.log.append(packer.records());
    } catch (error) {
      if (error instanceof PanecastError) {
        // The log's own refusal with a code of the catalogue (APPEND_TOO_LARGE): a retry would not help.
        throw error;
      }
      throw new PanecastError('PANECAST_ERR_BUFFER_UNAVAILABLE', { detail: (error as Error).message });
    }
    this.acceptedTotal += packer.events;
    if (tsOffset !== 0) {
      this.clockCorrectedBatches++;
    }
    return packer.events;
  }

  /** One answer of `POST /v1/events` other than 202, by its code (catalogue codes: a bounded set). */
  countRefusal(code: ErrorCode): void {
    this.refused[code] = (this.refused[code] ?? 0) + 1;
  }

  get stats(): { accepted: number; rejectedBatches: number; refusedByCode: RefusalCounts; clockCorrectedBatches: number } {
    return { accepted: this.acceptedTotal, rejectedBatches: this.rejectedBatches, refusedByCode: { ...this.refused }, clockCorrectedBatches: this.clockCorrectedBatches };
  }
}
