/**
 * Authentication of one request: SigV4 claims, the credential scope (service and a
 * known region), the access key, the clock skew and finally the signature itself.
 * In --dev mode an unknown access key id acts as the default account's root.
 */
import { InvalidSignatureException, UnrecognizedClientException } from "../errors.ts";
import { rootPrincipal, type Principal } from "../identity/principal.ts";
import type { Services } from "./context.ts";
import { AWS_REGIONS } from "./regions.ts";
import { checkSkew, parseSigV4, verifySignature, type RawRequest } from "./sigv4.ts";

/** Who is calling and which region the request addresses. */
export interface Authenticated {
  principal: Principal;
  region: string;
}

/** Authenticates `request` for the service whose signing name is `signingName`. */
export async function authenticate(
  request: RawRequest,
  services: Services,
  signingName: string,
  nowMs: number,
): Promise<Authenticated> {
  const claims = parseSigV4(request.headers);
  if (claims.service !== signingName) {
    throw new InvalidSignatureException(`Credential should be scoped to correct service: '${signingName}'. `);
  }
  if (!AWS_REGIONS.has(claims.region)) {
    throw new InvalidSignatureException(`Credential should be scoped to a valid region. '${claims.region}' is not a known AWS region.`);
  }
  const accessKey = await services.accessKeys.find(claims.accessKeyId);
  if (!accessKey) {
    if (!services.dev) throw new UnrecognizedClientException("The security token included in the request is invalid.");
    checkDevSkew(claims, nowMs);
    return { principal: rootPrincipal(services.defaultAccountId, claims.accessKeyId), region: claims.region };
  }
  if (services.dev) checkDevSkew(claims, nowMs);
  else checkSkew(claims, nowMs);
  await verifySignature(request, claims, accessKey.secretAccessKey);
  return { principal: accessKey.principal, region: claims.region };
}

/**
 * In --dev mode the server clock may run ahead of the wall clock; a client that signs
 * with its own (wall) clock must keep working, so either clock is accepted.
 */
function checkDevSkew(claims: Parameters<typeof checkSkew>[0], nowMs: number): void {
  try {
    checkSkew(claims, Date.now());
  } catch {
    checkSkew(claims, nowMs);
  }
}
