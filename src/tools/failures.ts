/**
 * One readable line for a failed encryption or decryption: which key KMS refused and
 * with what error, rather than the Encryption SDK's folded message with stack traces.
 * Neither carries plaintext; KMS's messages name keys and principals only.
 */
import type { KmsFailure } from "./kmsClients.ts";
import { ContextMismatchError } from "./encryptionContext.ts";

/** Describes `error`, preferring the KMS calls that failed on the way (most telling last). */
export function explainFailure(error: unknown, failures: readonly KmsFailure[]): string {
  if (error instanceof ContextMismatchError) return error.message;
  if (failures.length > 0) {
    return failures
      .map((failure) => `KMS ${failure.operation}${failure.keyId ? ` with ${failure.keyId}` : ""} failed: ${failure.errorName}${failure.message && failure.message !== "UnknownError" ? `: ${failure.message}` : ""}`)
      .join("; ");
  }
  const message = error instanceof Error ? error.message : String(error);
  return firstLine(message);
}

function firstLine(message: string): string {
  const line = message.split("\n", 1)[0]?.trim() ?? "";
  return line === "" ? "failed" : line;
}
