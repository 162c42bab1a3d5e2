/**
 * Finds the key a request names, as AWS does: within the caller's region; a key id or
 * alias name within the caller's account; an ARN may name another account's key (the
 * authorizer decides whether the caller may use it). Misses are NotFoundException with
 * AWS's messages, which name keys by the ARN built from the caller's region; an alias name
 * with characters no alias may have is AWS's ValidationException.
 */
import { NotFoundException } from "../errors.ts";
import { parseKeyIdentifier } from "./keyIdentifier.ts";
import { awsManagedService, createAwsManagedKey } from "./awsManagedKeys.ts";
import { checkAliasNameCharacters } from "./aliasNames.ts";
import type { KeyRepository } from "./keyRepository.ts";

import { keyArn, keyHandle, type KeyRecord } from "./records.ts";

/** Where a request comes from: the caller's account and the region it addressed. */
export interface Scope {
  accountId: string;
  region: string;
}

/** Whether an operation accepts alias names and alias ARNs as its KeyId. */
export type AliasPolicy = "aliases-allowed" | "key-only";

/** Resolves `identifier` to the key it names, or throws the AWS error. */
export async function resolveKey(
  keys: KeyRepository,
  scope: Scope,
  identifier: string,
  aliasPolicy: AliasPolicy,
  nowMs = Date.now(),
): Promise<KeyRecord> {
  const parsed = parseKeyIdentifier(identifier);
  if ((parsed.kind === "aliasName" || parsed.kind === "aliasArn") && aliasPolicy === "key-only") {
    throw new NotFoundException(`Invalid keyId '${identifier}'`);
  }
  if (parsed.kind === "aliasName" || parsed.kind === "aliasArn") checkAliasNameCharacters(parsed.aliasName);
  switch (parsed.kind) {
    case "keyId":
      return findKey(keys, { ...scope }, parsed.keyId);
    case "keyArn":
      if (parsed.region !== scope.region) throw new NotFoundException(`Invalid arn ${parsed.region}`);
      return findKey(keys, { accountId: parsed.accountId, region: scope.region }, parsed.keyId);
    case "aliasName":
      return findAliasTarget(keys, scope, parsed.aliasName, nowMs);
    case "aliasArn":
      if (parsed.region !== scope.region) throw new NotFoundException(`Invalid arn ${parsed.region}`);
      // Only the caller's own first use creates an AWS managed key, never a use naming another account's alias.
      return findAliasTarget(keys, { accountId: parsed.accountId, region: scope.region }, parsed.aliasName, nowMs, parsed.accountId === scope.accountId);
  }
}

/** The key with this id in exactly this account and region. */
export async function findKey(keys: KeyRepository, scope: Scope, keyId: string): Promise<KeyRecord> {
  const record = await keys.find(keyHandle({ keyId, region: scope.region }));
  if (!record || record.accountId !== scope.accountId || record.region !== scope.region) {
    throw new NotFoundException(`Key '${keyArn({ ...scope, keyId })}' does not exist`);
  }
  return record;
}

async function findAliasTarget(keys: KeyRepository, scope: Scope, aliasName: string, nowMs: number, mayCreate = true): Promise<KeyRecord> {
  const targetKeyId = await keys.aliasTarget(scope.accountId, scope.region, aliasName);
  if (targetKeyId !== undefined) return findKey(keys, scope, targetKeyId);
  // The first request naming an AWS managed alias creates its key, as the service's first use does in AWS.
  const service = awsManagedService(aliasName);
  if (service !== undefined && mayCreate) return findKey(keys, scope, await createAwsManagedKey(keys, scope, service, nowMs));
  throw new NotFoundException(`Alias arn:aws:kms:${scope.region}:${scope.accountId}:${aliasName} is not found.`);
}
