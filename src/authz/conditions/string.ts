/**
 * String condition operators: StringEquals, StringNotEquals, StringEqualsIgnoreCase,
 * StringNotEqualsIgnoreCase, StringLike, StringNotLike. Values may hold policy variables.
 */
import { compileGlob, globToRegExp } from "../wildcard.ts";
import { parseTemplate, resolvePieces, resolveText, type Template } from "../variables.ts";
import { operatorPair, scalarText, type ConditionOperator, type Tri, type ValueMatcher } from "./operator.ts";

function compileEquals(ignoreCase: boolean) {
  const fold = ignoreCase ? (s: string) => s.toLowerCase() : (s: string) => s;
  return (values: readonly string[], variables: boolean): ValueMatcher => {
    const fixed = new Set<string>();
    const templates: Template[] = [];
    for (const value of values) {
      const template = variables ? parseTemplate(value) : undefined;
      if (template?.dynamic) templates.push(template);
      else fixed.add(fold(value));
    }
    return (value, scope): Tri => {
      const text = scalarText(value);
      if (text === undefined) return undefined;
      const folded = fold(text);
      if (fixed.has(folded)) return true;
      let unresolved = false;
      for (const template of templates) {
        const resolved = resolveText(template, scope);
        if (resolved === undefined) unresolved = true;
        else if (fold(resolved) === folded) return true;
      }
      return unresolved ? undefined : false;
    };
  };
}

function compileLike(values: readonly string[], variables: boolean): ValueMatcher {
  const patterns: RegExp[] = [];
  const templates: Template[] = [];
  for (const value of values) {
    const template = variables ? parseTemplate(value) : undefined;
    if (template?.dynamic) templates.push(template);
    else patterns.push(globToRegExp(value));
  }
  return (value, scope): Tri => {
    const text = scalarText(value);
    if (text === undefined) return undefined;
    for (const pattern of patterns) if (pattern.test(text)) return true;
    let unresolved = false;
    for (const template of templates) {
      const pieces = resolvePieces(template, scope);
      if (pieces === undefined) unresolved = true;
      else if (compileGlob(pieces, false).test(text)) return true;
    }
    return unresolved ? undefined : false;
  };
}

/** The string operators. */
export const STRING_OPERATORS: readonly ConditionOperator[] = [
  ...operatorPair("StringEquals", "StringNotEquals", compileEquals(false)),
  ...operatorPair("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", compileEquals(true)),
  ...operatorPair("StringLike", "StringNotLike", compileLike),
];
