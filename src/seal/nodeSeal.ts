/**
 * A node's seal: whether it holds its root key, and how it gets it. The process that runs
 * this (the only one, or the primary of `--workers N`) holds the unseal progress and the
 * root key; while sealed no key is usable and the API is refused (src/seal/sealedFront.ts).
 *
 * - `file`: the root key file is read at start; a failure there stops the start.
 * - `shamir`: operators submit shares (`kmsd operator unseal`) until the threshold.
 * - `kms`, `pkcs11` (auto-unseal): the node asks the sealing service at start, and again
 *   with a growing pause (up to AUTO_UNSEAL_MAX_PAUSE_MS) while it fails, reporting why.
 *
 * `seal()` zeroes the root key at once; a node sealed by an operator stays sealed until
 * unsealed again (shares) or restarted (auto-unseal modes). With its deployment's
 * operations (nodeOperations.ts) the seal also rotates the root key while serving and
 * rekeys the shares, and records each of these in the audit trail (rootOfTrustEvents.ts).
 */
import type { WrappingKey } from "../crypto/rootKey.ts";
import { log } from "../server/log.ts";
import type { NodeOperations, RekeyResult } from "./nodeOperations.ts";
import { originDetails, recordRootOfTrustEventOrLog, type OperatorOrigin } from "./rootOfTrustEvents.ts";
import type { RotationResult } from "./rotateRoot.ts";
import type { SealMode } from "./sealFile.ts";
import { ShareRefused, type ShareCollector } from "./shamir.ts";

/** What /health and the operator commands report. */
export interface SealStatus {
  sealed: boolean;
  mode: SealMode;
  /** Shares submitted towards the threshold (shamir; 0 otherwise). */
  progress: number;
  /** Shares needed (shamir; 0 otherwise). */
  threshold: number;
  /** Why a sealed node is not unsealed yet (an auto-unseal failure, a root key that does not fit the database). */
  reason?: string;
}

/** How this node obtains its root key. */
export type RootKeySource =
  | { mode: "file"; load(): WrappingKey }
  | { mode: "shamir"; collector: ShareCollector }
  | { mode: "kms" | "pkcs11"; unseal(): Promise<WrappingKey> };

/** What the node does with its root key: start serving with it, and stop. */
export interface SealListener {
  /** Opens what the root key unlocks; throws (the node stays sealed) if the key cannot serve, e.g. it does not fit the database. */
  unsealed(rootKey: WrappingKey): Promise<void>;
  /** Stops serving with the (already zeroed) root key and closes what it opened. */
  sealed(): Promise<void>;
  /** The database's root key state changed (an online rotation started or finished): follow it. `current` is the seal's root key now. */
  rootKeyChanged(current: WrappingKey): Promise<void>;
}

/** What the operator endpoints may do with a node's seal; `origin` says who asked, for the audit trail. */
export interface SealControl {
  status(): SealStatus;
  /** Submits one unseal share; throws SealRequestRefused. */
  submitShare(share: string, origin: OperatorOrigin): Promise<SealStatus>;
  seal(origin: OperatorOrigin): Promise<SealStatus>;
  /** Rotates the root key while the node serves (`shares`: the threshold's, in the shamir mode); throws SealRequestRefused. */
  rotateRoot(shares: string[], origin: OperatorOrigin): Promise<RotationResult>;
  /** A new set of unseal shares for the same root key (shamir); throws SealRequestRefused. */
  rekey(shares: string[], newShares: number, newThreshold: number, origin: OperatorOrigin): Promise<RekeyResult>;
}

/** An operator request the seal refuses; the message is safe to show and names no secret. */
export class SealRequestRefused extends Error {}

/** The longest pause between two auto-unseal attempts. */
export const AUTO_UNSEAL_MAX_PAUSE_MS = 5000;
const AUTO_UNSEAL_FIRST_PAUSE_MS = 500;

/** The seal of the process that holds the root key. */
export class NodeSeal implements SealControl {
  #source: RootKeySource;
  readonly #listener: SealListener;
  readonly #operations: NodeOperations | undefined;
  #rootKey: WrappingKey | undefined;
  #reason: string | undefined;
  #sealedByOperator = false;
  #stopped = false;
  readonly #watchers: Array<(status: SealStatus) => void> = [];
  #wake: (() => void) | undefined;
  /** Operations run one at a time, in arrival order (two shares, or a share and a seal). */
  #queue: Promise<unknown> = Promise.resolve();

  /** Without `operations` (no deployment to act on) the node neither rotates, rekeys nor records events. */
  constructor(source: RootKeySource, listener: SealListener, operations?: NodeOperations) {
    this.#source = source;
    this.#listener = listener;
    this.#operations = operations;
  }

  /**
   * Starts: `file` unseals now (throwing if it cannot); auto-unseal modes try once and, if
   * that fails, keep trying in the background; `shamir` waits for shares.
   */
  async start(): Promise<void> {
    const source = this.#source;
    if (source.mode === "file") await this.#open(source.load());
    else if (source.mode !== "shamir" && !(await this.#tryAutoUnseal(source.unseal))) void this.#keepTrying(source.unseal);
  }

  /** Calls `watcher` with the new status after every change (a share counted, unsealed, sealed, a failed attempt). */
  watch(watcher: (status: SealStatus) => void): void {
    this.#watchers.push(watcher);
  }

  /** Stops auto-unseal attempts (on shutdown). */
  stop(): void {
    this.#stopped = true;
    this.#wake?.();
  }

  status(): SealStatus {
    const shamir = this.#source.mode === "shamir" ? this.#source.collector : undefined;
    return {
      sealed: this.#rootKey === undefined,
      mode: this.#source.mode,
      progress: shamir?.progress ?? 0,
      threshold: shamir?.threshold ?? 0,
      ...(this.#rootKey === undefined && this.#reason !== undefined ? { reason: this.#reason } : {}),
    };
  }

  submitShare(share: string, origin: OperatorOrigin): Promise<SealStatus> {
    return this.#serially(async () => {
      try {
        return await this.#submitShare(share, origin);
      } catch (error) {
        if (error instanceof SealRequestRefused) await this.#record("RefuseUnsealShare", { reason: error.message, ...originDetails(origin) });
        throw error;
      } finally {
        this.#changed();
      }
    });
  }

  async #submitShare(share: string, origin: OperatorOrigin): Promise<SealStatus> {
    const source = this.#source;
    if (source.mode !== "shamir") throw new SealRequestRefused(`This node's seal mode is ${source.mode}: it does not take unseal shares.`);
    if (this.#rootKey !== undefined) return this.status();
    let rootKey: WrappingKey | undefined;
    try {
      rootKey = await source.collector.add(share);
    } catch (error) {
      if (error instanceof ShareRefused) throw new SealRequestRefused(error.message);
      throw error;
    }
    if (rootKey !== undefined) {
      try {
        await this.#open(rootKey, origin);
      } catch (error) {
        throw new SealRequestRefused(`The shares unsealed the root key, but the node cannot serve with it: ${errorMessage(error)}`);
      }
    }
    return this.status();
  }

  rotateRoot(shares: string[], origin: OperatorOrigin): Promise<RotationResult> {
    return this.#serially(async () => {
      const operations = this.#operationsWhileUnsealed("rotate its root key");
      let outcome: Awaited<ReturnType<NodeOperations["rotateRoot"]>>;
      try {
        outcome = await operations.rotateRoot(shares, origin, () => this.#rootKeyChanged());
      } catch (error) {
        if (error instanceof ShareRefused) throw new SealRequestRefused(error.message);
        throw error;
      }
      // From now on the seal holds the new key (a worker restarted later is handed it); the old one is zeroed.
      const old = this.#rootKey;
      this.#rootKey = outcome.rootKey;
      this.#source = operations.source();
      await this.#rootKeyChanged();
      old?.destroy();
      return outcome.result;
    });
  }

  rekey(shares: string[], newShares: number, newThreshold: number, origin: OperatorOrigin): Promise<RekeyResult> {
    return this.#serially(async () => {
      const operations = this.#operationsWhileUnsealed("rekey its unseal shares");
      let result: RekeyResult;
      try {
        result = await operations.rekey(shares, newShares, newThreshold, origin);
      } catch (error) {
        if (error instanceof ShareRefused) throw new SealRequestRefused(error.message);
        throw error;
      }
      // The next unseal takes the new shares only.
      this.#source = operations.source();
      log.warn("unseal shares rekeyed: the previous shares no longer unseal this node", { shares: newShares, threshold: newThreshold });
      return result;
    });
  }

  #operationsWhileUnsealed(what: string): NodeOperations {
    if (this.#rootKey === undefined) throw new SealRequestRefused(`The node is sealed: unseal it before you ${what}.`);
    if (this.#operations === undefined) throw new SealRequestRefused(`This node cannot ${what}.`);
    return this.#operations;
  }

  async #rootKeyChanged(): Promise<void> {
    if (this.#rootKey !== undefined) await this.#listener.rootKeyChanged(this.#rootKey);
  }

  seal(origin: OperatorOrigin): Promise<SealStatus> {
    return this.#serially(async () => {
      const rootKey = this.#rootKey;
      if (this.#source.mode === "shamir") this.#source.collector.reset();
      if (rootKey === undefined) return this.status();
      this.#rootKey = undefined;
      this.#sealedByOperator = true;
      this.#reason = "sealed by an operator";
      // Zeroed before anything else: a request still in flight fails rather than use it.
      rootKey.destroy();
      await this.#listener.sealed();
      log.warn("sealed: the root key was zeroed; the API is refused until the node is unsealed", { mode: this.#source.mode });
      await this.#record("SealNode", { mode: this.#source.mode, ...originDetails(origin) });
      this.#changed();
      return this.status();
    });
  }

  /** Serves with `rootKey`; `origin`: the operator whose share completed the threshold (none for the automatic modes). */
  async #open(rootKey: WrappingKey, origin?: OperatorOrigin): Promise<void> {
    try {
      await this.#listener.unsealed(rootKey);
    } catch (error) {
      rootKey.destroy();
      this.#reason = errorMessage(error);
      throw error;
    }
    this.#rootKey = rootKey;
    this.#reason = undefined;
    this.#sealedByOperator = false;
    // The file mode has no seal to record or announce: its every start would be an event.
    if (this.#source.mode === "file") return log.debug("unsealed", { mode: "file" });
    log.info("unsealed", { mode: this.#source.mode });
    await this.#record("UnsealNode", { mode: this.#source.mode, ...originDetails(origin) });
  }

  async #record(eventName: "SealNode" | "UnsealNode" | "RefuseUnsealShare", details: Record<string, string>): Promise<void> {
    if (this.#operations !== undefined) await recordRootOfTrustEventOrLog(this.#operations.deployment, eventName, details);
  }

  /** One auto-unseal attempt; true if the node is unsealed now, else the reason is recorded and logged. */
  async #tryAutoUnseal(unseal: () => Promise<WrappingKey>): Promise<boolean> {
    try {
      await this.#serially(async () => this.#open(await unseal()));
      return true;
    } catch (error) {
      this.#reason = `auto-unseal through ${this.#source.mode} failed: ${errorMessage(error)}`;
      log.warn("sealed: auto-unseal failed; retrying", { mode: this.#source.mode, reason: this.#reason });
      return false;
    } finally {
      this.#changed();
    }
  }

  /** Tries again, pausing longer each time, until unsealed, sealed by an operator, or stopped. */
  async #keepTrying(unseal: () => Promise<WrappingKey>): Promise<void> {
    let pauseMs = AUTO_UNSEAL_FIRST_PAUSE_MS;
    for (;;) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pauseMs);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (this.#stopped || this.#rootKey !== undefined || this.#sealedByOperator) return;
      if (await this.#tryAutoUnseal(unseal)) return;
      pauseMs = Math.min(pauseMs * 2, AUTO_UNSEAL_MAX_PAUSE_MS);
    }
  }

  #changed(): void {
    const status = this.status();
    for (const watcher of this.#watchers) watcher(status);
  }

  #serially<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(operation);
    this.#queue = result.catch(() => undefined);
    return result;
  }
}

function errorMessage(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 300);
}
