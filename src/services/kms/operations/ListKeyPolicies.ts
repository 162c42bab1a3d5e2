/** ListKeyPolicies: always the one policy name, "default". */
import { keyForOperation } from "../keyAccess.ts";
import { DEFAULT_POLICY_NAME } from "../keyPolicy.ts";
import type { Handler } from "../registry.ts";

export const ListKeyPolicies: Handler<"ListKeyPolicies"> = async (ctx, input) => {
  await keyForOperation(ctx, "ListKeyPolicies", input.KeyId, "key-only");
  return { PolicyNames: [DEFAULT_POLICY_NAME], Truncated: false };
};
