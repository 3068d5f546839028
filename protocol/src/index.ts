/**
 * The live channel's wire protocol, defined once and imported by the backend
 * gateway and the Grafana datasource: versioned JSON text frames over one
 * WebSocket that multiplexes many subscriptions. PROTOCOL.md describes it.
 *
 * messages.ts  message types, PROTOCOL_VERSION, LIVE_PATH
 * limits.ts    parse and connection limits, announced in `welcome`
 * codes.ts     error codes with their message templates, close codes
 * parse.ts     the gateway's strict parser of client frames
 * client.ts    the client's side: parse server frames, encode, check sequences
 * query.ts     aggregate vocabulary; subscribe query → engine window query
 * frame.ts     cheap size and nesting checks before JSON.parse
 * catalogue.ts GET /v1/metrics: the metric catalogue, the live channel's longest window
 */
export * from './messages';
export * from './limits';
export { SubscribeRate } from './subscribe-rate';
export * from './codes';
export * from './catalogue';
export { parseClientMessage, type ParseResult } from './parse';
export { parseServerMessage, encode, checkSequence } from './client';
export { AGGREGATES, isAggregate, toEngineQuery, type EngineWindowQuery } from './query';
