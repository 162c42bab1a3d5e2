/** GetPublicKey: the DER SubjectPublicKeyInfo of an asymmetric key, with its usage and algorithms. */
import { UnsupportedOperationException } from "../../../errors.ts";
import { isAsymmetricKeySpec } from "../../../crypto/asymmetric/index.ts";
import { keyArn } from "../../../keys/records.ts";
import { keyForOperation } from "../keyAccess.ts";
import { keyAlgorithms } from "../keyMetadata.ts";
import type { Handler } from "../registry.ts";

export const GetPublicKey: Handler<"GetPublicKey"> = async (ctx, input) => {
  const key = await keyForOperation(ctx, "GetPublicKey", input.KeyId, "aliases-allowed");
  if (!isAsymmetricKeySpec(key.keySpec)) {
    throw new UnsupportedOperationException(`${keyArn(key)} key spec ${key.keySpec} is not valid for GetPublicKey: it has no public key.`);
  }
  const keyPair = await ctx.services.keys.keyPair(key);
  return {
    KeyId: keyArn(key),
    PublicKey: keyPair.publicKeySpkiDer,
    CustomerMasterKeySpec: key.keySpec as never,
    KeySpec: key.keySpec,
    KeyUsage: key.keyUsage,
    ...keyAlgorithms(key),
  };
};
