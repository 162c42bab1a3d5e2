/**
 * What an operator asks of a serving node's seal beyond sealing and unsealing: an online
 * root key rotation (`kmsd operator rotate-root --endpoint`) and a rekey of the unseal
 * shares (`kmsd operator rekey`). Both run in the process that holds the seal (the only
 * one, or the primary of `--workers N`), on the node's own data directory and database.
 */
import { WrappingKey } from "../crypto/rootKey.ts";
import { log } from "../server/log.ts";
import { openRootKeySlots } from "./rootKeySlots.ts";
import { rootKeySourceOf, type SealOptions } from "./rootKeySource.ts";
import { SealRequestRefused, type RootKeySource } from "./nodeSeal.ts";
import { originDetails, recordRootOfTrustEventOrLog, type Deployment, type OperatorOrigin } from "./rootOfTrustEvents.ts";
import { rotateRoot, type RotationResult } from "./rotateRoot.ts";
import { readSealFile, writeSealRecord } from "./sealFile.ts";
import { checkShamirParameters, sealWithShares, ShareCollector, ShareRefused, unwrapShamirRootKey } from "./shamir.ts";

/** A node's deployment and seal options, as `kmsd serve` was given them. */
export type NodeDeployment = Deployment & { seal: SealOptions };

/** What `operator rekey` prints: the new shares (shown once, stored nowhere) and their threshold. */
export interface RekeyResult {
  UnsealShares: string[];
  Threshold: number;
}

/** The seal's operations on a node's deployment (NodeSeal calls them one at a time). */
export class NodeOperations {
  readonly deployment: NodeDeployment;

  constructor(deployment: NodeDeployment) {
    this.deployment = deployment;
  }

  /** The node's root key source as its data directory says now (a rotation or a rekey rewrote the seal file). */
  source(): RootKeySource {
    return rootKeySourceOf(this.deployment.dataDir, this.deployment.seal);
  }

  /**
   * Rotates the root key while the node serves: the offline rotation's code (rotateRoot.ts),
   * announcing each step with `announce`. Resolves to the result and a copy of the new root
   * key, which the seal keeps from now on.
   */
  async rotateRoot(shares: string[], origin: OperatorOrigin, announce: () => Promise<void>): Promise<{ result: RotationResult; rootKey: WrappingKey }> {
    const { dataDir, databaseUrl, audited } = this.deployment;
    const slots = await openRootKeySlots(dataDir, this.deployment.seal, async () => shares);
    try {
      const progress = progressLog();
      const result = await rotateRoot({ dataDir, databaseUrl, slots, progress, audited, online: { announce, origin } });
      const next = slots.next;
      if (next === undefined) throw new Error("the rotation finished without a new root key");
      // adopt() zeroes what it is given: it gets a copy, not the slot's own bytes (zeroed with the slots).
      return { result, rootKey: next.withBytes((bytes) => WrappingKey.adopt(Buffer.from(bytes))) };
    } finally {
      slots.destroy();
    }
  }

  /**
   * A new set of `shares` shares (any `threshold` unseal) for the same root key (throws
 * SealRequestRefused for a request it refuses, ShareRefused for a share): the root
   * key, unwrapped with the current shares, is wrapped under a new unseal key, and the seal
   * file replaced atomically (sealFile.ts), so a crash leaves the old set or the new one.
   * The old shares open nothing from then on: their set id and digests are gone.
   */
  async rekey(current: string[], shares: number, threshold: number, origin: OperatorOrigin): Promise<RekeyResult> {
    try {
      checkShamirParameters(shares, threshold);
    } catch (error) {
      throw new SealRequestRefused(error instanceof Error ? error.message : String(error));
    }
    const { dataDir } = this.deployment;
    const file = readSealFile(dataDir);
    if (file === undefined || file.seal.mode !== "shamir") throw new SealRequestRefused(`This node's seal mode is ${file?.seal.mode ?? "file"}: it has no unseal shares to rekey.`);
    if (file.next !== undefined) throw new SealRequestRefused("A root key rotation of this node did not finish: finish it (kmsd operator rotate-root) before a rekey.");
    const record = file.seal;
    const collector = new ShareCollector(record);
    let unsealKey: WrappingKey | undefined;
    for (const share of current) {
      unsealKey = await collector.addForUnsealKey(share);
      if (unsealKey !== undefined) break;
    }
    if (unsealKey === undefined) {
      collector.reset();
      throw new ShareRefused(`A rekey needs ${record.threshold} of the current unseal shares; it got ${current.length}.`);
    }
    let rootKey: WrappingKey;
    try {
      rootKey = unwrapShamirRootKey(record, record.wrappedRootKey, unsealKey);
    } finally {
      unsealKey.destroy();
    }
    try {
      const sealed = await sealWithShares(rootKey, shares, threshold);
      writeSealRecord(dataDir, sealed.record);
      await recordRootOfTrustEventOrLog(this.deployment, "RekeyUnsealShares", {
        shares: String(shares),
        threshold: String(threshold),
        previousShares: String(record.shares),
        previousThreshold: String(record.threshold),
        ...originDetails(origin),
      });
      return { UnsealShares: sealed.shares, Threshold: threshold };
    } finally {
      rootKey.destroy();
    }
  }
}

/** The rotation's progress in the log, at every tenth. */
function progressLog(): (done: number, total: number) => void {
  let lastTenth = -1;
  return (done, total) => {
    const tenth = total === 0 ? 10 : Math.floor((done / total) * 10);
    if (tenth === lastTenth) return;
    lastTenth = tenth;
    log.info("root key rotation: re-wrapping", { done, total });
  };
}
