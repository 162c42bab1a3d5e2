/**
 * Date condition operators: DateEquals, DateNotEquals, DateLessThan, DateLessThanEquals,
 * DateGreaterThan, DateGreaterThanEquals. Policy and request values are ISO 8601 dates
 * or epoch seconds (as `aws:EpochTime` gives); request values may also be Date objects.
 */
import type { ConditionScalar } from "../types.ts";
import { numericCompiler, parseNumber } from "./numeric.ts";
import { operatorPair, type ConditionOperator } from "./operator.ts";

const ISO_DATE = /^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?)?$/u;

/** Milliseconds since the epoch for an ISO 8601 date or epoch seconds; undefined otherwise. */
export function parseDate(text: string): number | undefined {
  const trimmed = text.trim();
  const seconds = parseNumber(trimmed);
  if (seconds !== undefined) return seconds * 1000;
  if (!ISO_DATE.test(trimmed)) return undefined;
  const ms = Date.parse(trimmed);
  return Number.isNaN(ms) ? undefined : ms;
}

function requestDate(value: ConditionScalar): number | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.getTime();
  if (typeof value === "number") return Number.isFinite(value) ? value * 1000 : undefined;
  if (typeof value === "string") return parseDate(value);
  return undefined;
}

const date = (compare: (a: number, b: number) => boolean) => numericCompiler(compare, parseDate, requestDate, "date");

/** The date operators. */
export const DATE_OPERATORS: readonly ConditionOperator[] = [
  ...operatorPair("DateEquals", "DateNotEquals", date((a, b) => a === b)),
  ...operatorPair("DateLessThan", undefined, date((a, b) => a < b)),
  ...operatorPair("DateLessThanEquals", undefined, date((a, b) => a <= b)),
  ...operatorPair("DateGreaterThan", undefined, date((a, b) => a > b)),
  ...operatorPair("DateGreaterThanEquals", undefined, date((a, b) => a >= b)),
];
