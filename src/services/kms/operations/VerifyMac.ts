/** VerifyMac: checks an HMAC in constant time; a wrong MAC is KMSInvalidMacException. */
import { generateMac, verifyMac } from "../../../crypto/asymmetric/index.ts";
import { keyArn } from "../../../keys/records.ts";
import { endIfDryRun, keyForOperation, requireKeyUsage } from "../keyAccess.ts";
import type { Handler } from "../registry.ts";
import { currentMaterial } from "../symmetric.ts";

export const VerifyMac: Handler<"VerifyMac"> = async (ctx, input) => {
  const key = await keyForOperation(ctx, "VerifyMac", input.KeyId, "aliases-allowed");
  requireKeyUsage(key, "GENERATE_VERIFY_MAC", "VerifyMac");
  const algorithm = input.MacAlgorithm ?? "HMAC_SHA_256";
  const material = await currentMaterial(ctx, key);
  const message = input.Message ?? new Uint8Array();
  if (input.DryRun === true) {
    // A request that would fail (an algorithm the key spec lacks) fails; whether the MAC matches is not checked.
    generateMac(material, key.keySpec, algorithm, message);
    endIfDryRun(input);
  }
  verifyMac(material, key.keySpec, algorithm, message, input.Mac ?? new Uint8Array());
  return { KeyId: keyArn(key), MacValid: true, MacAlgorithm: algorithm };
};
