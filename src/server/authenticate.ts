/**
 * Authentication of one request: SigV4 claims, the credential scope (service and a
 * known region), the access key (an account root's or an IAM user's long-term key, or
 * a role session's temporary credentials with their session token), the clock skew,
 * the signature itself and, for a session, its expiry on the server clock.
 * In --dev mode an unknown access key id acts as the default account's root; a key
 * that was deactivated or deleted never does.
 *
 * IAM is a global service whose requests AWS's SDKs sign for us-east-1; a client given
 * a custom endpoint signs for its configured region instead, so any known region is
 * accepted for IAM as for the other services (IAM's ARNs carry no region).
 */
import { ExpiredTokenException, InvalidSignatureException, UnrecognizedClientException } from "../errors.ts";
import { rootPrincipal, type Principal } from "../identity/principal.ts";
import { sessionTokenMatches } from "../identity/sessions.ts";
import type { Services } from "./context.ts";
import { AWS_REGIONS } from "./regions.ts";
import { checkSkew, parseSigV4, verifySignature, type RawRequest } from "./sigv4.ts";

/** Who is calling and which region the request addresses. */
export interface Authenticated {
  principal: Principal;
  region: string;
}

const INVALID_TOKEN = "The security token included in the request is invalid.";
const EXPIRED_TOKEN = "The security token included in the request is expired";

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
  const found = await services.accessKeys.lookup(claims.accessKeyId);
  if (found.status === "unknown") {
    if (!services.dev) throw new UnrecognizedClientException(INVALID_TOKEN);
    checkDevSkew(claims, nowMs);
    return { principal: rootPrincipal(services.defaultAccountId, claims.accessKeyId), region: claims.region };
  }
  if (found.status === "revoked") throw new UnrecognizedClientException(INVALID_TOKEN);
  const key = found.key;
  // Session credentials need their token; long-term keys must not come with one.
  if (key.session) {
    if (claims.sessionToken === undefined || !sessionTokenMatches(claims.sessionToken, key.session.tokenHash)) {
      throw new UnrecognizedClientException(INVALID_TOKEN);
    }
  } else if (claims.sessionToken !== undefined) {
    throw new UnrecognizedClientException(INVALID_TOKEN);
  }
  if (services.dev) checkDevSkew(claims, nowMs);
  else checkSkew(claims, nowMs);
  await verifySignature(request, claims, key.secretAccessKey);
  // After the signature: only the holder of the secret learns that the session ended.
  if (key.session && nowMs >= key.session.expiresAtMs) throw new ExpiredTokenException(EXPIRED_TOKEN);
  return { principal: key.principal, region: claims.region };
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
