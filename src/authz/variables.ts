/**
 * Policy variables (`${aws:username}`, `${aws:PrincipalTag/team, 'none'}`, `${*}`, `${?}`,
 * `${$}`) in Resource and in string and ARN condition values. A template is parsed once;
 * resolving it against a request yields the text, or `undefined` when a variable has no
 * single value and no default: the caller then fails closed.
 */
import type { ConditionValue } from "./types.ts";
import type { GlobPiece } from "./wildcard.ts";

/** Looks up a condition key (already lower-cased) in the request. */
export interface ContextLookup {
  lookup(lowerKey: string): ConditionValue;
}

/** Policy text, a literal escape (`${*}` → `*`), a variable, or a variable AWS cannot resolve. */
export type TemplatePart =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "literal"; readonly text: string }
  | { readonly kind: "variable"; readonly key: string; readonly fallback: string | undefined }
  | { readonly kind: "broken" };

/** A parsed policy string. */
export interface Template {
  readonly source: string;
  readonly parts: readonly TemplatePart[];
  /** False when the string holds no `${`: it is plain policy text. */
  readonly dynamic: boolean;
}

const VARIABLE = /^\s*([^\s,'}]+)\s*(?:,\s*'((?:[^']|'')*)'\s*)?$/u;

/** Parses a policy string into text, escapes and variables. */
export function parseTemplate(source: string): Template {
  if (!source.includes("${")) return { source, parts: [{ kind: "text", text: source }], dynamic: false };
  const parts: TemplatePart[] = [];
  let i = 0;
  while (i < source.length) {
    const start = source.indexOf("${", i);
    if (start < 0) {
      parts.push({ kind: "text", text: source.slice(i) });
      break;
    }
    if (start > i) parts.push({ kind: "text", text: source.slice(i, start) });
    const end = closingBrace(source, start + 2);
    if (end < 0) {
      // An unterminated `${` cannot be resolved; AWS treats the substitution as failed.
      parts.push({ kind: "broken" });
      break;
    }
    parts.push(variablePart(source.slice(start + 2, end)));
    i = end + 1;
  }
  return { source, parts, dynamic: true };
}

// The `}` that closes a variable, skipping any inside a quoted default value.
function closingBrace(source: string, from: number): number {
  let quoted = false;
  for (let j = from; j < source.length; j++) {
    const ch = source[j];
    if (ch === "'") quoted = !quoted;
    else if (ch === "}" && !quoted) return j;
  }
  return -1;
}

function variablePart(inner: string): TemplatePart {
  const trimmed = inner.trim();
  if (trimmed === "*" || trimmed === "?" || trimmed === "$") return { kind: "literal", text: trimmed };
  const match = VARIABLE.exec(inner);
  if (!match?.[1]) return { kind: "broken" };
  const fallback = match[2] === undefined ? undefined : match[2].replaceAll("''", "'");
  return { kind: "variable", key: match[1].toLowerCase(), fallback };
}

/** The single string a context value stands for as a variable; multivalued keys have none. */
export function variableText(value: ConditionValue): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (value instanceof Date) return value.toISOString();
  return undefined;
}

/** Resolves a template to glob pieces (policy text is wild, substituted values literal). */
export function resolvePieces(template: Template, scope: ContextLookup): GlobPiece[] | undefined {
  const pieces: GlobPiece[] = [];
  for (const part of template.parts) {
    const piece = resolvePart(part, scope);
    if (piece === undefined) return undefined;
    pieces.push(piece);
  }
  return pieces;
}

/** Resolves a template to plain text (no wildcards involved). */
export function resolveText(template: Template, scope: ContextLookup): string | undefined {
  if (!template.dynamic) return template.source;
  let text = "";
  for (const part of template.parts) {
    const piece = resolvePart(part, scope);
    if (piece === undefined) return undefined;
    text += piece.text;
  }
  return text;
}

function resolvePart(part: TemplatePart, scope: ContextLookup): GlobPiece | undefined {
  switch (part.kind) {
    case "text":
      return { text: part.text, wild: true };
    case "literal":
      return { text: part.text, wild: false };
    case "variable": {
      const value = variableText(scope.lookup(part.key)) ?? part.fallback;
      return value === undefined ? undefined : { text: value, wild: false };
    }
    case "broken":
      return undefined;
  }
}
