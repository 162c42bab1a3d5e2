/** The policy engine's public API: parse and compile policies, evaluate requests, build contexts. */
export { PolicyParseError, INVALID_PRINCIPALS_MESSAGE } from "./errors.ts";
export { parsePolicy, policyPrincipals, KEY_POLICY_MAX_BYTES } from "./policyDocument.ts";
export type { CompiledPolicy, NamedPrincipal, ParseOptions, PolicyKind } from "./policyDocument.ts";
export { evaluate } from "./evaluate.ts";
export { accessDeniedMessage } from "./messages.ts";
export { CONSTRAINED_OPERATIONS } from "./grants.ts";
export { kmsRequestContext, keyContext, encryptionContextKeys, requestAlias } from "./kmsConditionKeys.ts";
export type { KmsKeyFacts, KmsRequestFacts } from "./kmsConditionKeys.ts";
export { KMS_PERMISSIONS, kmsPermission } from "./kmsPermissions.ts";
export type { KmsAuthorizationCheck, KmsPermission, KmsResourceRef } from "./kmsPermissions.ts";
export { globalRequestContext, requestTagContext, resourceTagContext } from "./globalConditionKeys.ts";
export type { GlobalRequestFacts } from "./globalConditionKeys.ts";
export type * from "./types.ts";
