/**
 * What a grant may contain, as AWS validates CreateGrant: operations that fit the key's
 * type and usage, constraints only where every operation takes an encryption context (or
 * is DescribeKey, RetireGrant or CreateGrant),
 * a grantee that is an ARN of a principal or a service principal. Also how grants are
 * shown (ListGrants, ListRetirableGrants) and found by id or token.
 */
import type { GrantListEntry, GrantOperation } from "@aws-sdk/client-kms";
import { InvalidGrantIdException, NotFoundException, ValidationException } from "../../errors.ts";
import { CONSTRAINED_OPERATIONS } from "../../authz/index.ts";
import { grantIdOfToken, isGrantId, type GrantRecord } from "../../keys/grants.ts";
import { keyArn, type KeyRecord } from "../../keys/records.ts";
import type { RequestContext } from "../../server/context.ts";

const ALWAYS: readonly GrantOperation[] = ["DescribeKey", "CreateGrant", "RetireGrant"];
/** Operations a grant with an encryption-context constraint may include although they take no encryption context. */
const CONSTRAINT_FREE_OPERATIONS: ReadonlySet<GrantOperation> = new Set(ALWAYS);

/** Grant operations each kind of key supports. */
function operationsFor(key: KeyRecord): readonly GrantOperation[] {
  // Every operation that takes an encryption context works with symmetric encryption keys.
  if (key.keySpec === "SYMMETRIC_DEFAULT") return [...ALWAYS, ...(CONSTRAINED_OPERATIONS as ReadonlySet<GrantOperation>)];

  switch (key.keyUsage) {
    case "ENCRYPT_DECRYPT":
      return [...ALWAYS, "Encrypt", "Decrypt", "ReEncryptFrom", "ReEncryptTo", "GetPublicKey"];
    case "SIGN_VERIFY":
      return [...ALWAYS, "Sign", "Verify", "GetPublicKey"];
    case "GENERATE_VERIFY_MAC":
      return [...ALWAYS, "GenerateMac", "VerifyMac"];
    case "KEY_AGREEMENT":
      return [...ALWAYS, "DeriveSharedSecret", "GetPublicKey"];
    default:
      return ALWAYS;
  }
}

const PRINCIPAL_ARN = /^arn:aws[a-z-]*:(iam::[0-9]{12}:(root|user\/.+|role\/.+)|sts::[0-9]{12}:assumed-role\/.+\/.+)$/;
const SERVICE_PRINCIPAL = /^[a-z0-9.-]+\.amazonaws\.com$/;

/** Checks CreateGrant's operations, constraints and principals against the key. */
export function checkGrantRequest(
  key: KeyRecord,
  operations: readonly GrantOperation[],
  constraints: { EncryptionContextEquals?: unknown; EncryptionContextSubset?: unknown } | undefined,
  granteePrincipal: string,
  retiringPrincipal: string | undefined,
): void {
  if (operations.length === 0) throw new ValidationException("Operations must contain at least one grant operation.");
  const supported = operationsFor(key);
  const unsupported = operations.filter((operation) => !supported.includes(operation));
  if (unsupported.length > 0) {
    throw new ValidationException(
      `Grant operations ${unsupported.join(", ")} are not supported for a KMS key with key spec ${key.keySpec} and key usage ${key.keyUsage}.`,
    );
  }
  if (constraints && (constraints.EncryptionContextEquals !== undefined || constraints.EncryptionContextSubset !== undefined)) {
    // DescribeKey and RetireGrant ignore the constraint, CreateGrant passes it on (AWS's GrantConstraints);
    // asymmetric and HMAC keys take no encryption context at all.
    const unconstrained = operations.filter(
      (operation) => !CONSTRAINT_FREE_OPERATIONS.has(operation) && !(key.keySpec === "SYMMETRIC_DEFAULT" && CONSTRAINED_OPERATIONS.has(operation)),
    );
    if (unconstrained.length > 0) {
      throw new ValidationException(
        `Encryption context grant constraints cannot be used with the grant operations ${unconstrained.join(", ")}, which take no encryption context.`,
      );
    }
  }
  for (const principal of [granteePrincipal, retiringPrincipal]) {
    if (principal !== undefined && !PRINCIPAL_ARN.test(principal) && !SERVICE_PRINCIPAL.test(principal)) {
      throw new ValidationException(`${principal} is not a valid principal: use an IAM ARN or a service principal.`);
    }
  }
}

/** A grant as ListGrants and ListRetirableGrants show it. */
export function toGrantListEntry(grant: GrantRecord): GrantListEntry {
  return {
    KeyId: keyArn(grant),
    GrantId: grant.grantId,
    ...(grant.name === undefined ? {} : { Name: grant.name }),
    CreationDate: new Date(grant.createdAtMs),
    GranteePrincipal: grant.granteePrincipal,
    ...(grant.retiringPrincipal === undefined ? {} : { RetiringPrincipal: grant.retiringPrincipal }),
    IssuingAccount: grant.issuingAccount,
    Operations: grant.operations,
    ...(grant.constraints === undefined ? {} : { Constraints: grant.constraints }),
  };
}

/** The grant with this id on this key; InvalidGrantIdException if malformed, NotFoundException if absent. */
export async function grantOfKey(ctx: RequestContext, key: KeyRecord, grantId: string): Promise<GrantRecord> {
  if (!isGrantId(grantId)) throw new InvalidGrantIdException(`Invalid grant id '${grantId}'`);
  const grant = (await ctx.services.keys.grants(key)).find((g) => g.grantId === grantId);
  if (!grant) throw new NotFoundException(`Grant ${grantId} does not exist for key ${keyArn(key)}`);
  return grant;
}

/** Checks the grant tokens a request passes: each must be one kmsd issued (InvalidGrantTokenException otherwise). */
export function checkGrantTokens(ctx: RequestContext, tokens: readonly string[] | undefined): void {
  for (const token of tokens ?? []) grantIdOfToken(ctx.services.rootKey, token);
}
