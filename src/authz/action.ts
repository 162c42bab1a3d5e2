/**
 * The Action and NotAction elements. Actions match case-insensitively (`kms:encrypt` is
 * `kms:Encrypt`), with `*` and `?` wildcards; each pattern is compiled to the cheapest
 * test that decides it: a set lookup, a prefix (`kms:*`), or a RegExp.
 */
import { PolicyParseError } from "./errors.ts";
import { globToRegExp, hasWildcard } from "./wildcard.ts";

/** A compiled Action or NotAction list. */
export interface ActionMatcher {
  readonly any: boolean;
  readonly exact: ReadonlySet<string>;
  readonly prefixes: readonly string[];
  readonly patterns: readonly RegExp[];
}

const ACTION = /^[a-z0-9-]+:[a-z0-9*?_-]+$/iu;

/** Parses the value of Action or NotAction. */
export function parseActions(raw: unknown, element: string): ActionMatcher {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  const patterns: RegExp[] = [];
  let any = false;
  for (const action of stringOrList(raw, element)) {
    if (action === "*") {
      any = true;
      continue;
    }
    if (!ACTION.test(action)) {
      throw new PolicyParseError(`Policy contains an invalid action: "${action}". Actions must be "*" or "service:action".`);
    }
    const lower = action.toLowerCase();
    const star = lower.indexOf("*");
    if (!hasWildcard(lower)) exact.add(lower);
    else if (star === lower.length - 1 && !lower.includes("?")) prefixes.push(lower.slice(0, -1));
    else patterns.push(globToRegExp(lower));
  }
  return { any, exact, prefixes, patterns };
}

/** True when the (lower-cased) action is in the list. */
export function matchAction(m: ActionMatcher, action: string): boolean {
  if (m.any || m.exact.has(action)) return true;
  for (const prefix of m.prefixes) if (action.startsWith(prefix)) return true;
  for (const pattern of m.patterns) if (pattern.test(action)) return true;
  return false;
}

/** A string or a non-empty list of strings, as Action and Resource take. */
export function stringOrList(raw: unknown, element: string): readonly string[] {
  if (typeof raw === "string") return [raw];
  if (Array.isArray(raw) && raw.length > 0 && raw.every((v) => typeof v === "string")) return raw as string[];
  throw new PolicyParseError(`The ${element} element must be a string or a non-empty list of strings.`);
}
