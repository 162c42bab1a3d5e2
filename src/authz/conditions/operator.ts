/**
 * The interface every condition operator family implements. An operator compiles its
 * policy values once and returns a matcher that answers, for one request value, whether
 * it matches ANY of them (AWS ORs the values of one key). Negation (`…Not…`), the
 * `IfExists` suffix and the `ForAnyValue:`/`ForAllValues:` prefixes are applied once,
 * generically, in evaluate.ts, never in the operator files.
 */
import type { ConditionScalar } from "../types.ts";
import type { ContextLookup } from "../variables.ts";

/** true / false, or undefined when the value cannot be evaluated (the caller fails closed). */
export type Tri = boolean | undefined;

/** Tests one request value against the compiled policy values. */
export type ValueMatcher = (value: ConditionScalar, scope: ContextLookup) => Tri;

/** One condition operator, e.g. StringLike or NotIpAddress. */
export interface ConditionOperator {
  /** The AWS name without prefix or suffix, e.g. `StringNotLike`. */
  readonly name: string;
  /** Negated operators match when the value matches none of the policy values (logical NOR). */
  readonly negated: boolean;
  /** Null alone tests whether the key is present; its matcher receives that presence as a boolean. */
  readonly testsPresence: boolean;
  /** Compiles the policy values (throws PolicyParseError); `variables` allows `${…}` in them. */
  compile(values: readonly string[], variables: boolean): ValueMatcher;
}

/** Builds the positive and negated pair of an operator family. */
export function operatorPair(
  positive: string,
  negative: string | undefined,
  compile: ConditionOperator["compile"],
): ConditionOperator[] {
  const pair: ConditionOperator[] = [{ name: positive, negated: false, testsPresence: false, compile }];
  if (negative !== undefined) pair.push({ name: negative, negated: true, testsPresence: false, compile });
  return pair;
}

/** The text of a request value for string-like comparison; binary values have none. */
export function scalarText(value: ConditionScalar): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (value instanceof Date) return value.toISOString();
  return undefined;
}
