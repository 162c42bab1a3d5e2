/**
 * Numeric condition operators: NumericEquals, NumericNotEquals, NumericLessThan,
 * NumericLessThanEquals, NumericGreaterThan, NumericGreaterThanEquals. Policy values must
 * be numbers; a request value that is not a number cannot be evaluated.
 */
import { PolicyParseError } from "../errors.ts";
import type { ConditionScalar } from "../types.ts";
import { operatorPair, type ConditionOperator, type ValueMatcher } from "./operator.ts";

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/u;

/** Parses a numeric policy or request string; undefined when it is not a number. */
export function parseNumber(text: string): number | undefined {
  const trimmed = text.trim();
  return NUMBER.test(trimmed) ? Number(trimmed) : undefined;
}

function requestNumber(value: ConditionScalar): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value === "string") return parseNumber(value);
  return undefined;
}

/** Builds a compiler for one numeric comparison (request value first, policy value second). */
export function numericCompiler(
  compare: (request: number, policy: number) => boolean,
  parse: (text: string) => number | undefined,
  toNumber: (value: ConditionScalar) => number | undefined,
  kind: string,
) {
  return (values: readonly string[]): ValueMatcher => {
    const numbers = values.map((text) => {
      const n = parse(text);
      if (n === undefined) throw new PolicyParseError(`Condition value "${text}" is not a valid ${kind}.`);
      return n;
    });
    return (value) => {
      const n = toNumber(value);
      if (n === undefined) return undefined;
      for (const policy of numbers) if (compare(n, policy)) return true;
      return false;
    };
  };
}

const numeric = (compare: (a: number, b: number) => boolean) => numericCompiler(compare, parseNumber, requestNumber, "number");

/** The numeric operators. */
export const NUMERIC_OPERATORS: readonly ConditionOperator[] = [
  ...operatorPair("NumericEquals", "NumericNotEquals", numeric((a, b) => a === b)),
  ...operatorPair("NumericLessThan", undefined, numeric((a, b) => a < b)),
  ...operatorPair("NumericLessThanEquals", undefined, numeric((a, b) => a <= b)),
  ...operatorPair("NumericGreaterThan", undefined, numeric((a, b) => a > b)),
  ...operatorPair("NumericGreaterThanEquals", undefined, numeric((a, b) => a >= b)),
];
