/**
 * ARN condition operators: ArnEquals, ArnLike, ArnNotEquals, ArnNotLike. AWS matches each
 * of the six colon-separated fields separately, each may hold `*` and `?`, so ArnEquals
 * and ArnLike behave alike. Values may hold policy variables.
 */
import { parseTemplate, resolvePieces, type Template } from "../variables.ts";
import { arnGlobToRegExp, compileGlob } from "../wildcard.ts";
import { operatorPair, type ConditionOperator, type Tri, type ValueMatcher } from "./operator.ts";

function compileArn(values: readonly string[], variables: boolean): ValueMatcher {
  const patterns: RegExp[] = [];
  const templates: Template[] = [];
  for (const value of values) {
    const template = variables ? parseTemplate(value) : undefined;
    if (template?.dynamic) templates.push(template);
    else patterns.push(arnGlobToRegExp(value));
  }
  return (value, scope): Tri => {
    if (typeof value !== "string") return undefined;
    for (const pattern of patterns) if (pattern.test(value)) return true;
    let unresolved = false;
    for (const template of templates) {
      const pieces = resolvePieces(template, scope);
      if (pieces === undefined) unresolved = true;
      else if (compileGlob(pieces, true).test(value)) return true;
    }
    return unresolved ? undefined : false;
  };
}

/** The ARN operators. */
export const ARN_OPERATORS: readonly ConditionOperator[] = [
  ...operatorPair("ArnEquals", "ArnNotEquals", compileArn),
  ...operatorPair("ArnLike", "ArnNotLike", compileArn),
];
