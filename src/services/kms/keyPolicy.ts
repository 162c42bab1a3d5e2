/**
 * Key policy documents as stored. The default policy is the one AWS creates when
 * CreateKey gets none: the account root may do everything, which makes IAM policies
 * effective for the key. Parsing and enforcement belong to the authorization layer.
 */
import { MalformedPolicyDocumentException } from "../../errors.ts";

/** The only key policy name AWS has. */
export const DEFAULT_POLICY_NAME = "default";

/** AWS's default key policy for an account. */
export function defaultKeyPolicy(accountId: string): string {
  return JSON.stringify(
    {
      Version: "2012-10-17",
      Id: "key-default-1",
      Statement: [
        {
          Sid: "Enable IAM User Permissions",
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${accountId}:root` },
          Action: "kms:*",
          Resource: "*",
        },
      ],
    },
    null,
    2,
  );
}

/** Refuses a policy that is not a JSON object. */
export function checkPolicyDocument(policy: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(policy);
  } catch {
    throw new MalformedPolicyDocumentException("The new key policy will not allow you to update the key policy in the future.");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new MalformedPolicyDocumentException("The policy document must be a JSON object.");
  }
}
