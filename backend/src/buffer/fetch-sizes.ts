/**
 * Fetch sizes of both consumer adapters (kafka-log.ts, platformatic-consumer.ts),
 * so the two clients read batches of the same size.
 *
 * Why larger than the clients' defaults (1 MiB per partition, 10 MiB per
 * fetch): the processor commits once per batch, and a commit writes every
 * series × pane the batch touched, however few events each had. With the
 * default, a catching-up partition came in batches of ~4 400 records of
 * ~230 bytes, which touched about as many cells as they had events; 4 MiB
 * per partition (~18 000 such records) touches about the same cells for four
 * times the events (bench/e2e). A partition that keeps up still gets what
 * arrived since the last fetch: sizes bound a batch, they do not wait for one.
 */
export const FETCH_MAX_BYTES_PER_PARTITION = 4 * 1024 * 1024;
/** Bounds one fetch response (a soft limit: a partition's first batch always comes). */
export const FETCH_MAX_BYTES = 16 * 1024 * 1024;
