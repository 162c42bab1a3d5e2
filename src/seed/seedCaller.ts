/**
 * Calls the KMS and IAM operations in process, as an account's root: the input is checked
 * against the official model (decodeInput, AWS's messages), then goes to the operation's own
 * handler, exactly as a request's would after authentication. The seed file goes through
 * here, so what it creates is validated as the API validates it.
 */
import { KMS_MODEL } from "../model/kms.generated.ts";
import { IAM_MODEL } from "../model/iam.generated.ts";
import { decodeInput } from "../model/validate.ts";
import { rootPrincipal } from "../identity/principal.ts";
import { kmsOperations } from "../services/kms/kmsOperations.ts";
import { notImplemented } from "../services/kms/registry.ts";
import type { KmsOperation } from "../services/kms/registry.ts";
import type { KmsOperationTypes } from "../services/kms/operationTypes.ts";
import { iamOperations } from "../services/iam/iamOperations.ts";
import type { IamOperation, IamOperationTypes } from "../services/iam/operationTypes.ts";
import type { RequestContext, Services } from "../server/context.ts";
import { DEFAULT_REGION } from "../server/regions.ts";

/** An account root's in-process client of the KMS and IAM operations in one Region. */
export class SeedCaller {
  readonly accountId: string;
  readonly services: Services;

  constructor(services: Services, accountId: string) {
    this.services = services;
    this.accountId = accountId;
  }

  /** The context of one call as this account's root in `region`. */
  context(region: string, input: Readonly<Record<string, unknown>>): RequestContext {
    return {
      requestId: "seed-file",
      principal: rootPrincipal(this.accountId, "seed-file"),
      accountId: this.accountId,
      region,
      nowMs: this.services.clock.nowMs(),
      services: this.services,
      input,
      sourceIp: "127.0.0.1",
      secureTransport: true,
      userAgent: "kmsd seed file",
    };
  }

  /** A KMS operation's input, checked against the model as a request's is. */
  kmsInput<Op extends KmsOperation>(operation: Op, input: Record<string, unknown>): KmsOperationTypes[Op]["input"] {
    return decodeInput(KMS_MODEL, operation, input) as KmsOperationTypes[Op]["input"];
  }

  async kms<Op extends KmsOperation>(region: string, operation: Op, raw: Record<string, unknown>): Promise<KmsOperationTypes[Op]["output"]> {
    const handler = kmsOperations[operation];
    if (handler === notImplemented) throw new Error(`kmsd does not implement ${operation}`);
    const input = this.kmsInput(operation, raw);
    return handler(this.context(region, input as Record<string, unknown>), input);
  }

  /** An IAM operation's input, checked against the model as a request's is. */
  iamInput<Op extends IamOperation>(operation: Op, input: Record<string, unknown>): IamOperationTypes[Op]["input"] {
    return decodeInput(IAM_MODEL, operation, input) as IamOperationTypes[Op]["input"];
  }

  /** IAM is global: its calls are made in the seed's default Region. */
  async iam<Op extends IamOperation>(operation: Op, raw: Record<string, unknown>): Promise<IamOperationTypes[Op]["output"]> {
    const input = this.iamInput(operation, raw);
    return iamOperations[operation](this.context(DEFAULT_REGION, input as Record<string, unknown>), input);
  }
}
