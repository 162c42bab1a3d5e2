/**
 * A basic structural check of policy documents when IAM or STS stores them: a JSON
 * object with a known Version and a Statement of Effect-bearing statements, with or
 * without Principal as the kind of policy requires. The authorization layer's full
 * parser replaces this (same signature) when it lands.
 */

/** Which kind of policy a document is (they differ in whether Principal is allowed). */
export type PolicyKind = "identity" | "trust" | "session";

const VERSIONS = new Set(["2012-10-17", "2008-10-17"]);

/** Returns why `text` is not an acceptable policy of `kind` (AWS's wording), or undefined if it is. */
export function policyDocumentProblem(text: string, kind: PolicyKind): string | undefined {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return "This policy contains invalid Json";
  }
  if (!isObject(document)) return "Syntax errors in policy.";
  if (document.Version === undefined) return "Syntax errors in policy.";
  if (typeof document.Version !== "string" || !VERSIONS.has(document.Version)) return "The policy failed legacy parsing";
  const statements = Array.isArray(document.Statement) ? document.Statement : [document.Statement];
  if (document.Statement === undefined || statements.length === 0) return "Syntax errors in policy.";
  for (const statement of statements) {
    if (!isObject(statement)) return "Syntax errors in policy.";
    if (statement.Effect !== "Allow" && statement.Effect !== "Deny") return "Syntax errors in policy.";
    if (statement.Action === undefined && statement.NotAction === undefined) return "Policy statement must contain actions.";
    const hasPrincipal = statement.Principal !== undefined || statement.NotPrincipal !== undefined;
    if (kind === "trust" && !hasPrincipal) return "Missing required field Principal";
    if (kind !== "trust" && hasPrincipal) return "Policy document should not specify a principal.";
    if (kind !== "trust" && statement.Resource === undefined && statement.NotResource === undefined) {
      return "Policy statement must contain resources.";
    }
  }
  return undefined;
}

/** The size IAM counts against its policy quotas: characters other than whitespace. */
export function policySize(text: string): number {
  return text.replace(/\s/g, "").length;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
