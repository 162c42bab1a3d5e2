/**
 * Where a seed file is applied: to a deployment as it opens (`kmsd serve --init`, once per
 * node, by the process that first opens the database: the sole server, or the primary of
 * several workers before any worker starts), or to a scratch deployment that is thrown away
 * (`kmsd init --check`), so the check runs every validation a real start would.
 */
import { XksProxyClient } from "../xks/proxyClient.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DISABLED_AUDIT_TRAIL } from "../audit/trail.ts";
import { Authorizer } from "../authorization/authorizer.ts";
import { AdjustableClock } from "../clock.ts";
import { WrappingKey } from "../crypto/rootKey.ts";
import { openUnsealedDataDir, type DataDir } from "../dataDir.ts";
import { AccessKeyDirectory } from "../identity/accessKeys.ts";
import { KeyRepository } from "../keys/keyRepository.ts";
import { quotasForServer } from "../quotas/fromConfig.ts";
import type { Services } from "../server/context.ts";
import { applySeed, type SeedOutcome } from "./applySeed.ts";
import { readSeedFile, type SeedFile } from "./seedFile.ts";
import { log } from "../server/log.ts";

/** Keys the seed's own cache holds: it reads each key once or twice. */
const SEED_KEY_CACHE = 1000;

/**
 * Applies `seed` to an opened deployment. The seed's writes are not audited (no API
 * request made them) and not throttled; resource quotas (`resourceQuotas`, as the
 * server's) apply as they do to requests.
 */
export async function seedDeployment(seed: SeedFile, dataDir: DataDir, options: { defaultAccountId: string; resourceQuotas: string | undefined }): Promise<SeedOutcome> {
  const accessKeys = new AccessKeyDirectory(dataDir.store, dataDir.rootKey);
  const services: Services = {
    store: dataDir.store,
    keys: new KeyRepository(dataDir.store, dataDir.rootKey, SEED_KEY_CACHE),
    accessKeys,
    rootKey: dataDir.rootKey,
    clock: new AdjustableClock(),
    dev: false,
    defaultAccountId: options.defaultAccountId,
    authorizer: new Authorizer(accessKeys),
    audit: DISABLED_AUDIT_TRAIL,
    quotas: quotasForServer({ throttling: "off", requestQuotas: undefined, resourceQuotas: options.resourceQuotas }),
    // A seed file makes no custom key stores: no proxy is reached and no token named.
    xks: new XksProxyClient({ timeoutMs: 2000 }),
    hsmClusters: new Map(),
  };
  return applySeed(seed, services);
}

/** Applies `seed` to a new scratch deployment (SQLite in a temporary directory), then removes it; throws what a start would. */
export async function checkSeed(seed: SeedFile): Promise<SeedOutcome> {
  const dir = mkdtempSync(join(tmpdir(), "kmsd-seed-check-"));
  try {
    const dataDir = await openUnsealedDataDir(dir, WrappingKey.generate());
    try {
      return await seedDeployment(seed, dataDir, { defaultAccountId: seed.accounts[0]?.id ?? "000000000000", resourceQuotas: undefined });
    } finally {
      await dataDir.store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `kmsd serve --init FILE`: applies the seed file to the deployment just opened, and logs
 * what it created. Read again at each opening (a sealed node's unseal), so the file is
 * checked against the deployment as it is then.
 */
export async function seedOnStart(file: string, dataDir: DataDir, options: { defaultAccountId: string; resourceQuotas: string | undefined }): Promise<void> {
  const { created } = await seedDeployment(readSeedFile(file), dataDir, options);
  log.info(created === 0 ? "seed file: the deployment already holds everything in it" : "seed file applied", { seedFile: file, created });
}
