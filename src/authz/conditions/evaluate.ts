/**
 * Evaluates a statement's conditions against a request, applying once, for every
 * operator, AWS's generic rules:
 *  - a missing key fails a positive operator and satisfies a negated one;
 *    `IfExists` makes a missing key satisfy any operator;
 *  - negated operators are the NOR of the positive match over the policy values;
 *  - ForAnyValue: some request value passes (false for a missing or empty key);
 *    ForAllValues: every request value passes (true for a missing or empty key);
 *  - without a set operator a multivalued request value passes when any element matches
 *    (negated: when none does);
 *  - a value the operator cannot evaluate makes the whole condition undefined: an Allow
 *    does not apply and a Deny does (fail closed).
 */
import type { ConditionScalar, ConditionValue } from "../types.ts";
import type { ContextLookup } from "../variables.ts";
import type { CompiledCondition } from "./compile.ts";
import type { Tri } from "./operator.ts";

/** The conjunction of all conditions: false wins over undefined, undefined over true. */
export function conditionsHold(conditions: readonly CompiledCondition[], scope: ContextLookup): Tri {
  let result: Tri = true;
  for (const condition of conditions) {
    const one = conditionHolds(condition, scope);
    if (one === false) return false;
    if (one === undefined) result = undefined;
  }
  return result;
}

/** One condition against the request. */
export function conditionHolds(c: CompiledCondition, scope: ContextLookup): Tri {
  const raw: ConditionValue = scope.lookup(c.key);
  const present = raw !== undefined && !(isList(raw) && raw.length === 0);
  if (c.operator.testsPresence) return c.match(present, scope);
  if (!present) {
    if (c.ifExists) return true;
    if (c.set === "any") return false;
    if (c.set === "all") return true;
    return c.operator.negated;
  }
  const negated = c.operator.negated;
  if (!isList(raw)) return passes(c, negated, raw, scope);
  if (c.set === "all") return every(c, negated, raw, scope);
  if (c.set === "any") return some(c, negated, raw, scope);
  // No set operator on a multivalued value: compare as "any element matches".
  const anyMatch = some(c, false, raw, scope);
  return anyMatch === undefined ? undefined : negated ? !anyMatch : anyMatch;
}

function passes(c: CompiledCondition, negated: boolean, value: ConditionScalar, scope: ContextLookup): Tri {
  const matched = c.match(value, scope);
  return matched === undefined ? undefined : negated ? !matched : matched;
}

function some(c: CompiledCondition, negated: boolean, values: readonly string[], scope: ContextLookup): Tri {
  let unknown = false;
  for (const value of values) {
    const one = passes(c, negated, value, scope);
    if (one === true) return true;
    if (one === undefined) unknown = true;
  }
  return unknown ? undefined : false;
}

function every(c: CompiledCondition, negated: boolean, values: readonly string[], scope: ContextLookup): Tri {
  let unknown = false;
  for (const value of values) {
    const one = passes(c, negated, value, scope);
    if (one === false) return false;
    if (one === undefined) unknown = true;
  }
  return unknown ? undefined : true;
}

function isList(value: ConditionValue): value is readonly string[] {
  return Array.isArray(value);
}
