/**
 * How CloudTrail records each service kmsd serves: its event source, which operations it
 * marks readOnly, whether it records the response, and the region of its events (IAM is
 * global: CloudTrail records its events in us-east-1 whatever region a request was signed for).
 */
import { CLOUDTRAIL_MODEL } from "../model/cloudtrail.generated.ts";
import { IAM_MODEL } from "../model/iam.generated.ts";
import { KMS_MODEL } from "../model/kms.generated.ts";
import { STS_MODEL } from "../model/sts.generated.ts";
import type { ServiceModel } from "../model/types.ts";

/** A service whose requests kmsd records. */
export type AuditedService = "kms" | "iam" | "sts" | "cloudtrail";

/** How CloudTrail records one service. */
export interface AuditedServiceProfile {
  eventSource: string;
  model: ServiceModel;
  /** CloudTrail's `readOnly` for an operation. */
  readOnly(operation: string): boolean;
  /** Whether CloudTrail fills responseElements for an operation (null otherwise). */
  recordsResponse(operation: string): boolean;
  /** The region every event of the service is recorded in (global services), if any. */
  globalRegion?: string;
}

/** KMS operations that use key material: readOnly in CloudTrail, like Describe/Get/List. */
const KMS_CRYPTOGRAPHIC: ReadonlySet<string> = new Set([
  "Decrypt",
  "DeriveSharedSecret",
  "Encrypt",
  "GenerateDataKey",
  "GenerateDataKeyPair",
  "GenerateDataKeyPairWithoutPlaintext",
  "GenerateDataKeyWithoutPlaintext",
  "GenerateMac",
  "GenerateRandom",
  "ReEncrypt",
  "Sign",
  "Verify",
  "VerifyMac",
]);

/** STS operations whose events carry the issued session (minus its secrets). */
const STS_ISSUING: ReadonlySet<string> = new Set([
  "AssumeRole",
  "AssumeRoleWithSAML",
  "AssumeRoleWithWebIdentity",
  "AssumeRoot",
  "GetFederationToken",
  "GetSessionToken",
]);

const READ_PREFIX = /^(Describe|Get|List|Lookup)/;

/** Each audited service's profile, by SigV4 signing name. */
export const AUDITED_SERVICES: Readonly<Record<AuditedService, AuditedServiceProfile>> = {
  // KMS records no response for reads and cryptographic operations (`"responseElements": null`).
  kms: {
    eventSource: "kms.amazonaws.com",
    model: KMS_MODEL,
    readOnly: (operation) => KMS_CRYPTOGRAPHIC.has(operation) || READ_PREFIX.test(operation),
    recordsResponse: (operation) => !(KMS_CRYPTOGRAPHIC.has(operation) || READ_PREFIX.test(operation)),
  },
  iam: {
    eventSource: "iam.amazonaws.com",
    model: IAM_MODEL,
    readOnly: (operation) => /^(Get|List|Generate|Simulate)/.test(operation),
    recordsResponse: (operation) => !/^(Get|List|Generate|Simulate)/.test(operation),
    globalRegion: "us-east-1",
  },
  // STS changes no resource: every call is readOnly; the issuing calls record the session.
  sts: {
    eventSource: "sts.amazonaws.com",
    model: STS_MODEL,
    readOnly: () => true,
    recordsResponse: (operation) => STS_ISSUING.has(operation),
  },
  cloudtrail: {
    eventSource: "cloudtrail.amazonaws.com",
    model: CLOUDTRAIL_MODEL,
    readOnly: (operation) => READ_PREFIX.test(operation),
    recordsResponse: (operation) => !READ_PREFIX.test(operation),
  },
};

/**
 * The operations GetKeyLastUsage tracks (KeyLastUsageTrackingOperation in the model):
 * a successful one updates the key's last usage.
 */
export const KEY_USAGE_OPERATIONS: ReadonlySet<string> = new Set([
  "Decrypt",
  "DeriveSharedSecret",
  "Encrypt",
  "GenerateDataKey",
  "GenerateDataKeyPair",
  "GenerateDataKeyPairWithoutPlaintext",
  "GenerateDataKeyWithoutPlaintext",
  "GenerateMac",
  "ReEncrypt",
  "Sign",
  "Verify",
  "VerifyMac",
]);
