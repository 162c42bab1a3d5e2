/**
 * The Null condition operator: `true` when the key must be absent, `false` when it must be
 * present. An empty list counts as absent. It cannot take `IfExists`.
 */
import { PolicyParseError } from "../errors.ts";
import type { ConditionOperator, ValueMatcher } from "./operator.ts";

function compileNull(values: readonly string[]): ValueMatcher {
  const wanted = values.map((text) => {
    const lower = text.toLowerCase();
    if (lower !== "true" && lower !== "false") {
      throw new PolicyParseError(`Condition value "${text}" is not a valid Null value (true or false).`);
    }
    return lower === "true";
  });
  // The generic evaluator passes the key's presence; Null "true" means "absent".
  return (present) => wanted.includes(present === false);
}

/** The Null operator. */
export const NULL_OPERATORS: readonly ConditionOperator[] = [
  { name: "Null", negated: false, testsPresence: true, compile: compileNull },
];
