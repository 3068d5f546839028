/**
 * What an event's type and field names may be: the collector checks every
 * event against these (collect/event.ts), and a metric definition may only
 * name what an event can carry (metric-definition.ts). The SDK keeps its own
 * copy for the browser, held in step by sdk/test/parity.test.ts.
 */
export const TYPE_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;
// Not __proto__: assigned to an object it would set the prototype, and the field would vanish.
export const FIELD_PATTERN = /^(?!__proto__$)[A-Za-z_][A-Za-z0-9_.:-]{0,127}$/;
