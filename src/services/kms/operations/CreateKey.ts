/** CreateKey: a new customer managed KMS key in the caller's account and region. */
import { randomBytes } from "node:crypto";
import { UnsupportedOperationException, ValidationException } from "../../../errors.ts";
import { newKeyId } from "../../../keys/keyRepository.ts";
import type { KeyRecord } from "../../../keys/records.ts";
import { toKeyMetadata } from "../keyMetadata.ts";
import { checkPolicyDocument, defaultKeyPolicy } from "../keyPolicy.ts";
import type { Handler } from "../registry.ts";
import { mergeTags } from "../tags.ts";

export const CreateKey: Handler<"CreateKey"> = async (ctx, input) => {
  if (input.KeySpec !== undefined && input.CustomerMasterKeySpec !== undefined) {
    throw new ValidationException("You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated.");
  }
  const keySpec = input.KeySpec ?? input.CustomerMasterKeySpec ?? "SYMMETRIC_DEFAULT";
  const keyUsage = input.KeyUsage ?? (keySpec === "SYMMETRIC_DEFAULT" ? "ENCRYPT_DECRYPT" : undefined);
  if (keyUsage === undefined) {
    throw new ValidationException("You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.");
  }
  if (keySpec !== "SYMMETRIC_DEFAULT") throw new UnsupportedOperationException(`KeySpec ${keySpec} is not supported by kmsd yet.`);
  if (keyUsage !== "ENCRYPT_DECRYPT") {
    throw new ValidationException(`KeyUsage ${keyUsage} is not compatible with KeySpec ${keySpec}`);
  }
  const origin = input.Origin ?? "AWS_KMS";
  if (origin !== "AWS_KMS") throw new UnsupportedOperationException(`Origin ${origin} is not supported by kmsd yet.`);
  if (input.CustomKeyStoreId !== undefined || input.XksKeyId !== undefined) {
    throw new UnsupportedOperationException("Custom key stores are not supported by kmsd yet.");
  }
  if (input.MultiRegion === true) throw new UnsupportedOperationException("Multi-Region keys are not supported by kmsd yet.");
  if (input.Policy !== undefined) checkPolicyDocument(input.Policy);
  const record: KeyRecord = {
    keyId: newKeyId(),
    accountId: ctx.accountId,
    region: ctx.region,
    createdAtMs: ctx.nowMs,
    description: input.Description ?? "",
    keySpec,
    keyUsage,
    origin,
    keyManager: "CUSTOMER",
    state: "Enabled",
    policy: input.Policy ?? defaultKeyPolicy(ctx.accountId),
    tags: mergeTags([], input.Tags ?? []),
    multiRegion: false,
  };
  const created = await ctx.services.keys.create(record, randomBytes(32));
  return { KeyMetadata: toKeyMetadata(created) };
};
