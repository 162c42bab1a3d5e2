/** The Bool condition operator: `true`/`false` (any case) against a boolean request value. */
import { PolicyParseError } from "../errors.ts";
import type { ConditionScalar } from "../types.ts";
import { operatorPair, type ConditionOperator, type ValueMatcher } from "./operator.ts";

function toBool(value: ConditionScalar): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (typeof value !== "string") return undefined;
  const lower = value.toLowerCase();
  return lower === "true" ? true : lower === "false" ? false : undefined;
}

function compileBool(values: readonly string[]): ValueMatcher {
  const wanted = values.map((text) => {
    const b = toBool(text);
    if (b === undefined) throw new PolicyParseError(`Condition value "${text}" is not a valid Bool value (true or false).`);
    return b;
  });
  return (value) => {
    const b = toBool(value);
    return b === undefined ? undefined : wanted.includes(b);
  };
}

/** The Bool operator. */
export const BOOL_OPERATORS: readonly ConditionOperator[] = operatorPair("Bool", undefined, compileBool);
