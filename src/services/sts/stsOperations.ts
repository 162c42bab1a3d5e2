/** The STS service: every operation kmsd implements mapped to its handler. */
import { AssumeRole } from "./operations/AssumeRole.ts";
import { GetCallerIdentity } from "./operations/GetCallerIdentity.ts";
import { GetSessionToken } from "./operations/GetSessionToken.ts";
import type { StsRegistry } from "./registry.ts";

/** Handlers of the STS API, by operation name. */
export const stsOperations: StsRegistry = {
  GetCallerIdentity,
  AssumeRole,
  GetSessionToken,
};
