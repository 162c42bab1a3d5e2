/**
 * The Resource and NotResource elements: `*` or ARN patterns with wildcards (field-aware,
 * see wildcard.ts) and, in 2012-10-17 policies, policy variables. Matching is
 * case-sensitive. A pattern whose variable cannot be resolved yields `undefined`: the
 * statement neither grants nor escapes a Deny (see statement.ts).
 */
import { PolicyParseError } from "./errors.ts";
import { stringOrList } from "./action.ts";
import { parseTemplate, resolvePieces, type ContextLookup, type Template } from "./variables.ts";
import { arnGlobToRegExp, compileGlob, hasWildcard } from "./wildcard.ts";

/** A compiled Resource or NotResource list. */
export interface ResourceMatcher {
  readonly any: boolean;
  readonly exact: ReadonlySet<string>;
  readonly patterns: readonly RegExp[];
  /** Patterns holding policy variables, resolved per request. */
  readonly templates: readonly Template[];
}

/** Parses the value of Resource or NotResource. */
export function parseResources(raw: unknown, element: string, variables: boolean): ResourceMatcher {
  const exact = new Set<string>();
  const patterns: RegExp[] = [];
  const templates: Template[] = [];
  let any = false;
  for (const resource of stringOrList(raw, element)) {
    if (resource === "*") {
      any = true;
      continue;
    }
    if (!resource.startsWith("arn:") || resource.split(":").length < 6) {
      throw new PolicyParseError(`Policy contains an invalid resource: "${resource}". Resources must be "*" or an ARN.`);
    }
    const template = variables ? parseTemplate(resource) : undefined;
    if (template?.dynamic) templates.push(template);
    else if (hasWildcard(resource)) patterns.push(arnGlobToRegExp(resource));
    else exact.add(resource);
  }
  return { any, exact, patterns, templates };
}

/** Whether the resource is in the list; undefined when only an unresolvable variable could decide. */
export function matchResource(m: ResourceMatcher, resource: string, scope: ContextLookup): boolean | undefined {
  if (m.any || m.exact.has(resource)) return true;
  for (const pattern of m.patterns) if (pattern.test(resource)) return true;
  let unresolved = false;
  for (const template of m.templates) {
    const pieces = resolvePieces(template, scope);
    if (pieces === undefined) unresolved = true;
    else if (compileGlob(pieces, true).test(resource)) return true;
  }
  return unresolved ? undefined : false;
}
