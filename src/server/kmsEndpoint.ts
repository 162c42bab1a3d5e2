/**
 * KMS as the request pipeline (pipeline.ts) serves it: AWS JSON 1.1 with X-Amz-Target
 * `TrentService.<Operation>`, the operation registry, and KMS's own step before the handler:
 * request quotas, then the IAM-only authorization of operations that name no key (key checks
 * happen in the handlers once the key is known).
 */
import { UnsupportedOperationException } from "../errors.ts";
import { KMS_MODEL } from "../model/kms.generated.ts";
import { authorizeWithoutKey } from "../services/kms/keyAccess.ts";
import { kmsOperations } from "../services/kms/kmsOperations.ts";
import type { KmsOperation } from "../services/kms/registry.ts";
import { implementedHandlers, type ApiService } from "./apiService.ts";
import { JSON_PROTOCOL } from "./jsonProtocol.ts";

/** The X-Amz-Target prefix of KMS operations. */
export const KMS_TARGET_PREFIX = `${KMS_MODEL.metadata.targetPrefix}.`;

/** KMS. */
export const KMS_SERVICE: ApiService<Buffer> = {
  name: "kms",
  model: KMS_MODEL,
  protocol: JSON_PROTOCOL,
  targetPrefixes: [KMS_TARGET_PREFIX],
  handlers: implementedHandlers(kmsOperations),
  // Checked before validation: an operation kmsd lacks says so whatever the input, rather than
  // sending the caller off to fix a request that could never succeed anyway.
  notImplemented: (operation) => new UnsupportedOperationException(`kmsd does not implement the ${operation} operation yet.`),
  async admit(ctx, operation, input) {
    // Over its request quota, a request is refused before it is authorized or changes anything.
    await ctx.services.quotas.throttle.admitOperation(ctx, operation as KmsOperation, input);
    await authorizeWithoutKey(ctx, operation as KmsOperation);
  },
};
