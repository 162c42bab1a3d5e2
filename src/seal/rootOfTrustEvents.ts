/**
 * The root of trust's audit events (a node sealed, unsealed, a share refused, the root key
 * rotated, the shares rekeyed): service events in the default account's trail, written
 * straight to the deployment's audit store. That needs no root key (the store is not
 * encrypted; only its digest signing key is), so a share refused while the node is sealed
 * is recorded at once, and the offline commands record the same way as a serving node.
 * Appends are safe beside a running audit writer: each one locks the chain tails it extends
 * (store/sqlAuditStore.ts). Details name generations, counts, modes, access key ids and
 * source addresses; never a share, a PIN or a key byte.
 */
import { existsSync } from "node:fs";
import { buildRootOfTrustEvent, type RootOfTrustEventName } from "../audit/events.ts";
import { openDeploymentStore } from "../dataDir.ts";
import { defaultAccountId } from "../identity/accounts.ts";
import { log } from "../server/log.ts";
import { DEFAULT_REGION } from "../server/regions.ts";
import { auditLocation, openAuditStoreAt } from "../store/open.ts";
import { auditDbPath } from "../store/sqlite/sqliteAuditStore.ts";

/** Where a deployment's state and audit trail are, and whether it keeps one. */
export interface Deployment {
  dataDir: string;
  databaseUrl: string | undefined;
  /** False under `--audit off`. */
  audited: boolean;
}

/** Who asked, as the event's details name them: an operator request's source address and, if signed, its access key id. */
export interface OperatorOrigin {
  sourceIp?: string;
  accessKeyId?: string;
}

/**
 * Records one root of trust event. A deployment that never opened its audit trail (a data
 * directory created offline and never served on SQLite) or has no default account yet has
 * no trail to write to: nothing is recorded.
 */
export async function recordRootOfTrustEvent(deployment: Deployment, eventName: RootOfTrustEventName, details: Record<string, string>): Promise<void> {
  const { dataDir, databaseUrl } = deployment;
  if (!deployment.audited || (databaseUrl === undefined && !existsSync(auditDbPath(dataDir)))) return;
  const { store } = await openDeploymentStore(dataDir, databaseUrl);
  let accountId: string | undefined;
  try {
    accountId = await defaultAccountId(store);
  } finally {
    await store.close();
  }
  if (accountId === undefined) return;
  const audit = await openAuditStoreAt(auditLocation(dataDir, databaseUrl));
  try {
    await audit.append([{ events: [buildRootOfTrustEvent(eventName, accountId, DEFAULT_REGION, Date.now(), details)], usages: [] }]);
  } finally {
    await audit.close();
  }
}

/** Records an event of something that has already happened: a failure to record is logged, never undoes it or fails the operator's request. */
export async function recordRootOfTrustEventOrLog(deployment: Deployment, eventName: RootOfTrustEventName, details: Record<string, string>): Promise<void> {
  try {
    await recordRootOfTrustEvent(deployment, eventName, details);
  } catch (error) {
    log.error("root of trust event not recorded", { eventName, error: error instanceof Error ? error.message : String(error) });
  }
}

/** An origin as event details (only the members it has). */
export function originDetails(origin: OperatorOrigin | undefined): Record<string, string> {
  return {
    ...(origin?.sourceIp === undefined ? {} : { sourceIPAddress: origin.sourceIp }),
    ...(origin?.accessKeyId === undefined ? {} : { accessKeyId: origin.accessKeyId }),
  };
}
