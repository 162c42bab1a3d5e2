/** DescribeKey: the full KeyMetadata of a key, in any state (Unavailable while its custom key store is not connected). */
import { resolveKey } from "../../../keys/keyResolver.ts";
import { withStoreAvailability } from "../customKeyStores.ts";
import { authorizeKeyUse } from "../keyAccess.ts";
import { toKeyMetadata } from "../keyMetadata.ts";
import type { Handler } from "../registry.ts";

export const DescribeKey: Handler<"DescribeKey"> = async (ctx, input) => {
  const key = await resolveKey(ctx.services.keys, ctx, input.KeyId ?? "", "aliases-allowed", ctx.nowMs);

  await authorizeKeyUse(ctx, "DescribeKey", key);
  return { KeyMetadata: toKeyMetadata(await withStoreAvailability(ctx, key)) };
};
