/**
 * The per-request view the evaluator reads: condition keys looked up case-insensitively,
 * and the global keys that describe the caller derived from the principal when the
 * caller did not supply them. Built once per `evaluate` call; the lower-cased key map is
 * made only if a condition or variable actually asks for a key.
 */
import type { AuthzPrincipal, AuthzRequest, ConditionValue } from "./types.ts";
import type { ContextLookup } from "./variables.ts";

/** A request prepared for evaluation. */
export class RequestScope implements ContextLookup {
  /** The request being evaluated. */
  readonly request: AuthzRequest;
  /** The action, lower-cased once (actions match case-insensitively). */
  readonly action: string;
  #keys: Map<string, ConditionValue> | undefined;

  constructor(request: AuthzRequest) {
    this.request = request;
    this.action = request.action.toLowerCase();
  }

  /** The value of a condition key (lower-cased name), or undefined when the request has none. */
  lookup(lowerKey: string): ConditionValue {
    const value = this.#keyMap().get(lowerKey);
    return value !== undefined ? value : principalKey(this.request.principal, lowerKey);
  }

  #keyMap(): Map<string, ConditionValue> {
    if (this.#keys === undefined) {
      this.#keys = new Map();
      for (const [key, value] of Object.entries(this.request.context)) {
        if (value !== undefined) this.#keys.set(key.toLowerCase(), value);
      }
    }
    return this.#keys;
  }
}

const PRINCIPAL_TYPES: Readonly<Record<AuthzPrincipal["type"], string | undefined>> = {
  Root: "Account",
  IAMUser: "User",
  AssumedRole: "AssumedRole",
  FederatedUser: "FederatedUser",
  AWSService: undefined,
};

/** The global keys AWS derives from the caller itself. */
export function principalKey(principal: AuthzPrincipal, lowerKey: string): ConditionValue {
  const service = principal.type === "AWSService";
  switch (lowerKey) {
    case "aws:principalarn":
      if (service) return undefined;
      return principal.type === "AssumedRole" ? (principal.sessionIssuerArn ?? principal.arn) : principal.arn;
    case "aws:principalaccount":
      return service ? undefined : principal.accountId;
    case "aws:principaltype":
      return PRINCIPAL_TYPES[principal.type];
    case "aws:userid":
      return service ? undefined : principal.userId;
    case "aws:username":
      return principal.type === "IAMUser" ? principal.userName : undefined;
    case "aws:principalisawsservice":
      return service;
    case "aws:principalservicename":
      return service ? principal.arn : undefined;
  }
  if (lowerKey.startsWith("aws:principaltag/") && principal.tags) {
    const wanted = lowerKey.slice("aws:principaltag/".length);
    for (const [key, value] of Object.entries(principal.tags)) {
      if (key.toLowerCase() === wanted) return value;
    }
  }
  return undefined;
}
