/**
 * AWS's AccessDenied message for a denial, in the form AWS uses:
 *   User: ARN is not authorized to perform: ACTION on resource: RESOURCE because no
 *   identity-based policy allows the ACTION action
 *   User: ARN is not authorized to perform: ACTION on resource: RESOURCE with an explicit
 *   deny in a resource-based policy
 * ("User:" whatever the principal kind; resource `*` for actions without one).
 */
import type { AuthzRequest, Decision, PolicyType } from "./types.ts";

const ARTICLE: Readonly<Record<PolicyType, string>> = {
  "identity-based policy": "an",
  "resource-based policy": "a",
  "session policy": "a",
};

/** The AccessDeniedException message for a denied decision. */
export function accessDeniedMessage(request: AuthzRequest, decision: Decision): string {
  if (decision.allowed || decision.deniedBy === undefined) {
    throw new Error("accessDeniedMessage needs a denied decision");
  }
  const prefix = `User: ${request.principal.arn} is not authorized to perform: ${request.action} on resource: ${request.resource}`;
  if (decision.reason === "explicit-deny") return `${prefix} with an explicit deny in ${ARTICLE[decision.deniedBy]} ${decision.deniedBy}`;
  return `${prefix} because no ${decision.deniedBy} allows the ${request.action} action`;
}
