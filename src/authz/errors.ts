/**
 * The one error the policy engine throws. It is neutral on purpose: KMS answers a bad key
 * policy with MalformedPolicyDocumentException (JSON protocol) and IAM with
 * MalformedPolicyDocument (Query protocol), so each caller maps it to its own service's error.
 */

/** A policy document that AWS would refuse to store; `message` says why. */
export class PolicyParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PolicyParseError";
  }
}

/** AWS KMS's own wording for a Principal element it cannot accept. */
export const INVALID_PRINCIPALS_MESSAGE = "Policy contains a statement with one or more invalid principals.";
