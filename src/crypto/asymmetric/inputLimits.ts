/**
 * KMS's modelled length limits on the binary request members the cryptographic operations
 * take (Message, Plaintext), answered in AWS's schema-validation wording. Checked here too so
 * that no caller can hand an oversized input to the primitives.
 */
import { ValidationException } from "../../errors.ts";

/** Largest Message (Sign, Verify, GenerateMac, VerifyMac) or Plaintext (Encrypt) AWS accepts, in bytes. */
export const MAX_MESSAGE_BYTES = 4096;

/** The camel-case member names AWS puts in its schema messages. */
export type LimitedMember = "message" | "plaintext";

/** Throws AWS's schema ValidationException unless 1 <= value.length <= 4096. */
export function assertMemberLength(member: LimitedMember, value: Uint8Array): void {
  if (value.length < 1) {
    throw new ValidationException(
      `1 validation error detected: Value at '${member}' failed to satisfy constraint: Member must have length greater than or equal to 1`,
    );
  }
  if (value.length > MAX_MESSAGE_BYTES) {
    throw new ValidationException(
      `1 validation error detected: Value at '${member}' failed to satisfy constraint: Member must have length less than or equal to ${MAX_MESSAGE_BYTES}`,
    );
  }
}
