/** The request and response type of every STS operation kmsd implements, from @aws-sdk/client-sts. */
import type * as STS from "@aws-sdk/client-sts";

/** Implemented operation → its SDK request and response types. */
export interface StsOperationTypes {
  GetCallerIdentity: { input: STS.GetCallerIdentityRequest; output: STS.GetCallerIdentityResponse };
  AssumeRole: { input: STS.AssumeRoleRequest; output: STS.AssumeRoleResponse };
  GetSessionToken: { input: STS.GetSessionTokenRequest; output: STS.GetSessionTokenResponse };
}

/** An STS operation kmsd implements. */
export type StsOperation = keyof StsOperationTypes;
