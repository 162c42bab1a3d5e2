/**
 * The check IAM and STS apply to a policy document before storing it: the full policy
 * parser of the authorization engine (the same one that will evaluate it), so a stored
 * policy always compiles. The quick structural checks first keep IAM's own wording for
 * the most common mistakes.
 */
import { parsePolicy, PolicyParseError } from "../authz/index.ts";

/** Which kind of policy a document is (they differ in whether Principal is allowed). */
export type PolicyKind = "identity" | "trust" | "session";

/** Returns why `text` is not an acceptable policy of `kind` (AWS's wording where known), or undefined if it is. */
export function policyDocumentProblem(text: string, kind: PolicyKind): string | undefined {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return "This policy contains invalid Json";
  }
  if (!isObject(document) || document.Statement === undefined) return "Syntax errors in policy.";
  // IAM's own wording for the commonest mistakes, before the full parser's.
  const statements = Array.isArray(document.Statement) ? (document.Statement as unknown[]) : [document.Statement];
  for (const statement of statements) {
    if (!isObject(statement)) continue;
    const hasPrincipal = statement.Principal !== undefined || statement.NotPrincipal !== undefined;
    if (kind === "trust" && !hasPrincipal) return "Missing required field Principal";
    if (kind !== "trust" && hasPrincipal) return "Policy document should not specify a principal.";
  }

  try {
    parsePolicy(text, kind, { maxBytes: Number.MAX_SAFE_INTEGER });
  } catch (error) {
    if (error instanceof PolicyParseError) return error.message;
    throw error;
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
