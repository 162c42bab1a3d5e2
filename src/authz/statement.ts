/**
 * One policy statement: validated and compiled when the policy is stored, then tested
 * per request element by element (principal, action, resource, condition), cheapest first.
 */
import { matchAction, parseActions, type ActionMatcher } from "./action.ts";
import { conditionsHold } from "./conditions/evaluate.ts";
import { parseConditions, type CompiledCondition } from "./conditions/compile.ts";
import type { RequestScope } from "./context.ts";
import { PolicyParseError } from "./errors.ts";
import {
  EXACT_MATCH,
  NO_MATCH,
  ROLE_MATCH,
  excludedBy,
  matchPrincipal,
  parsePrincipal,
  type MatchStrength,
  type NamedPrincipal,
  type PrincipalMatcher,
} from "./principal.ts";
import { matchResource, parseResources, type ResourceMatcher } from "./resource.ts";
import type { Tri } from "./conditions/operator.ts";

/** Where a policy is used; it decides which elements a statement must and must not have. */
export type PolicyKind = "resource" | "identity" | "trust" | "session";

/** A compiled statement. */
export interface CompiledStatement {
  readonly sid: string | undefined;
  readonly effect: "Allow" | "Deny";
  /** Principal or NotPrincipal; absent in identity and session policies (they apply to the caller). */
  readonly principal: PrincipalMatcher | undefined;
  readonly notPrincipal: boolean;
  readonly actions: ActionMatcher;
  readonly notAction: boolean;
  /** Resource or NotResource; absent only in trust policies and in key policy statements AWS ignores. */
  readonly resources: ResourceMatcher | undefined;
  readonly notResource: boolean;
  readonly conditions: readonly CompiledCondition[];
}

/** What statement parsing shares across one policy. */
export interface StatementContext {
  readonly kind: PolicyKind;
  readonly variables: boolean;
  readonly named: NamedPrincipal[];
  readonly sids: Set<string>;
}

const ELEMENTS = new Set(["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"]);
const IAM_SID = /^[0-9A-Za-z]*$/u;

/** Validates and compiles one statement. */
export function parseStatement(raw: unknown, ctx: StatementContext): CompiledStatement {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new PolicyParseError("Syntax errors in policy. Each statement must be an object.");
  }
  const st = raw as Record<string, unknown>;
  for (const element of Object.keys(st)) {
    if (!ELEMENTS.has(element)) throw new PolicyParseError(`Syntax errors in policy. Unsupported element in a statement: ${element}.`);
  }
  const sid = parseSid(st["Sid"], ctx);
  const effect = st["Effect"];
  if (effect === undefined) throw new PolicyParseError("Missing required field Effect.");
  if (effect !== "Allow" && effect !== "Deny") throw new PolicyParseError(`Invalid effect: ${String(effect)}. Effect must be Allow or Deny.`);

  const principalName = onlyOne(st, "Principal", "NotPrincipal");
  const needsPrincipal = ctx.kind === "resource" || ctx.kind === "trust";
  if (!needsPrincipal && principalName) throw new PolicyParseError("Policy document should not specify a principal.");
  if (needsPrincipal && !principalName) throw new PolicyParseError("Policy statement must contain a principal.");
  const principal = principalName ? parsePrincipal(st[principalName], ctx.named) : undefined;

  const actionName = onlyOne(st, "Action", "NotAction");
  if (!actionName) throw new PolicyParseError("Policy statement must contain actions.");
  const actions = parseActions(st[actionName], actionName);

  const resourceName = onlyOne(st, "Resource", "NotResource");
  if (ctx.kind === "trust" && resourceName) throw new PolicyParseError(`Has prohibited field ${resourceName}.`);
  if ((ctx.kind === "identity" || ctx.kind === "session") && !resourceName) {
    throw new PolicyParseError("Policy statement must contain resources.");
  }
  // A key policy statement without Resource is accepted by KMS and has no effect.
  const resources = resourceName ? parseResources(st[resourceName], resourceName, ctx.variables) : undefined;

  const conditions = st["Condition"] === undefined ? [] : parseConditions(st["Condition"], { variables: ctx.variables, keyPolicy: ctx.kind === "resource" });
  return {
    sid,
    effect,
    principal,
    notPrincipal: principalName === "NotPrincipal",
    actions,
    notAction: actionName === "NotAction",
    resources: ctx.kind === "trust" ? ANY_RESOURCE : resources,
    notResource: resourceName === "NotResource",
    conditions,
  };
}

// Trust policies have no Resource: they apply to the role they are attached to.
const ANY_RESOURCE: ResourceMatcher = { any: true, exact: new Set(), patterns: [], templates: [] };

function parseSid(sid: unknown, ctx: StatementContext): string | undefined {
  if (sid === undefined) return undefined;
  if (typeof sid !== "string") throw new PolicyParseError("Syntax errors in policy. Sid must be a string.");
  // Key policies allow any Sid (spaces included); IAM requires unique alphanumeric ones.
  if (ctx.kind !== "resource") {
    if (!IAM_SID.test(sid)) {
      throw new PolicyParseError("Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*");
    }
    if (sid !== "" && ctx.sids.has(sid)) throw new PolicyParseError("Statement IDs (SID) in a single policy must be unique.");
    ctx.sids.add(sid);
  }
  return sid;
}

function onlyOne(st: Record<string, unknown>, a: string, b: string): string | undefined {
  if (st[a] !== undefined && st[b] !== undefined) throw new PolicyParseError(`Syntax errors in policy. A statement cannot have both ${a} and ${b}.`);
  return st[a] !== undefined ? a : st[b] !== undefined ? b : undefined;
}

/** How strongly the statement's Principal/NotPrincipal names the caller (identity statements: exactly). */
export function principalStrength(s: CompiledStatement, scope: RequestScope): MatchStrength {
  if (s.principal === undefined) return EXACT_MATCH;
  const p = scope.request.principal;
  if (!s.notPrincipal) return matchPrincipal(s.principal, p);
  if (excludedBy(s.principal, p)) return NO_MATCH;
  return p.type === "AssumedRole" || p.type === "FederatedUser" ? ROLE_MATCH : EXACT_MATCH;
}

/** Whether action, resource and conditions apply; undefined when a condition or variable cannot be evaluated. */
export function statementApplies(s: CompiledStatement, scope: RequestScope): Tri {
  if (matchAction(s.actions, scope.action) === s.notAction) return false;
  if (s.resources === undefined) return false;
  let resource = matchResource(s.resources, scope.request.resource, scope);
  if (resource !== undefined && s.notResource) resource = !resource;
  if (resource === false) return false;
  const conditions = s.conditions.length === 0 ? true : conditionsHold(s.conditions, scope);
  if (conditions === false) return false;
  return resource === true && conditions === true ? true : undefined;
}
