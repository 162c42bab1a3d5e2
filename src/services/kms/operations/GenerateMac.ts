/** GenerateMac: an HMAC of a message with a GENERATE_VERIFY_MAC key. */
import { generateMac } from "../../../crypto/asymmetric/index.ts";
import { keyArn } from "../../../keys/records.ts";
import { endIfDryRun, keyForOperation, requireKeyUsage } from "../keyAccess.ts";
import type { Handler } from "../registry.ts";
import { currentMaterial } from "../symmetric.ts";

export const GenerateMac: Handler<"GenerateMac"> = async (ctx, input) => {
  const key = await keyForOperation(ctx, "GenerateMac", input.KeyId, "aliases-allowed");
  requireKeyUsage(key, "GENERATE_VERIFY_MAC", "GenerateMac");
  const algorithm = input.MacAlgorithm ?? "HMAC_SHA_256";
  const mac = generateMac(await currentMaterial(ctx, key), key.keySpec, algorithm, input.Message ?? new Uint8Array());
  endIfDryRun(input);
  return { KeyId: keyArn(key), Mac: mac, MacAlgorithm: algorithm };
};
