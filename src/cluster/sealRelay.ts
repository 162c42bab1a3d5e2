/**
 * The seal under `kmsd serve --workers N`: the primary holds the unseal progress and the
 * root key (a NodeSeal); the workers serve. A worker forwards operator requests (a share,
 * a seal) to the primary and answers with the primary's reply; when the primary unseals
 * it hands the root key to every worker over the cluster IPC channel (never argv, the
 * environment or a file) and answers the unseal only once all of them serve; when it
 * seals, every worker zeroes its copy. A worker that starts later (a restart after a
 * crash) asks for the key as it comes up. An online root key rotation runs in the primary,
 * which tells the workers at each step to follow the database's root key state
 * (seal/rootKeyFollower.ts); the new key itself reaches them from the database, wrapped.
 */
import cluster, { type Worker } from "node:cluster";
import { WrappingKey } from "../crypto/rootKey.ts";
import { log } from "../server/log.ts";
import type { RekeyResult } from "../seal/nodeOperations.ts";
import { SealRequestRefused, type NodeSeal, type SealControl, type SealListener, type SealStatus } from "../seal/nodeSeal.ts";
import type { OperatorOrigin } from "../seal/rootOfTrustEvents.ts";
import type { RotationResult } from "../seal/rotateRoot.ts";

/** How long the primary waits for every worker to serve with a new root key. */
const HANDOFF_TIMEOUT_MS = 30_000;

/** An operator request a worker forwards to the primary. */
type SealRequest =
  | { action: "share"; share: string; origin: OperatorOrigin }
  | { action: "seal"; origin: OperatorOrigin }
  | { action: "rotate-root"; shares: string[]; origin: OperatorOrigin }
  | { action: "rekey"; shares: string[]; newShares: number; newThreshold: number; origin: OperatorOrigin };

type SealMessage =
  | { type: "kmsd:seal:hello" }
  | ({ type: "kmsd:seal:request"; id: number } & SealRequest)
  /** `answer`: the seal's status, or what a rotation or rekey returned. */
  | { type: "kmsd:seal:reply"; id: number; answer?: unknown; refused?: string }
  | { type: "kmsd:seal:root-key-changed" }
  | { type: "kmsd:seal:status"; status: SealStatus }
  | { type: "kmsd:seal:root-key"; id: number; key: string }
  | { type: "kmsd:seal:serving"; id: number; error?: string }
  | { type: "kmsd:seal:sealed" };

function isSealMessage(message: unknown): message is SealMessage {
  return typeof message === "object" && message !== null && String((message as { type?: unknown }).type).startsWith("kmsd:seal:");
}

/**
 * The primary's side: answers the workers' requests with `seal`, and is the SealListener
 * that hands the root key over. `prepare` runs in the primary before the handoff (checks
 * the key against the database, first-start initialisation).
 */
export class PrimarySealRelay implements SealListener {
  #seal: NodeSeal | undefined;
  #rootKey: WrappingKey | undefined;
  readonly #prepare: (rootKey: WrappingKey) => Promise<void>;
  #nextId = 1;
  readonly #handoffs = new Map<number, (error: string | undefined) => void>();
  /** Workers that said hello: they listen for seal messages (one that has not yet gets the key when it does). */
  readonly #listening = new Set<number>();

  constructor(prepare: (rootKey: WrappingKey) => Promise<void>) {
    this.#prepare = prepare;
    cluster.on("message", (worker: Worker, message: unknown) => {
      if (isSealMessage(message)) void this.#receive(worker, message);
    });
  }

  /** Binds the relay to the seal it reports (the seal's listener is this relay, hence the two steps). */
  attach(seal: NodeSeal): void {
    this.#seal = seal;
    seal.watch((status) => this.#broadcast({ type: "kmsd:seal:status", status }));
  }

  async unsealed(rootKey: WrappingKey): Promise<void> {
    await this.#prepare(rootKey);
    this.#rootKey = rootKey;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && w.isConnected() && this.#listening.has(w.id));
    const errors = (await Promise.all(workers.map((worker) => this.#handOver(worker, rootKey)))).filter((e) => e !== undefined);
    if (errors.length > 0) {
      this.#rootKey = undefined;
      this.#broadcast({ type: "kmsd:seal:sealed" });
      throw new Error(errors[0]);
    }
  }

  async sealed(): Promise<void> {
    this.#rootKey = undefined;
    this.#broadcast({ type: "kmsd:seal:sealed" });
  }

  async rootKeyChanged(current: WrappingKey): Promise<void> {
    this.#rootKey = current;
    this.#broadcast({ type: "kmsd:seal:root-key-changed" });
  }

  async #receive(worker: Worker, message: SealMessage): Promise<void> {
    const seal = this.#seal;
    if (seal === undefined) return;
    if (message.type === "kmsd:seal:hello") {
      this.#listening.add(worker.id);
      worker.once("exit", () => this.#listening.delete(worker.id));
      if (this.#rootKey !== undefined) {
        const error = await this.#handOver(worker, this.#rootKey);
        if (error !== undefined) log.error("a worker could not serve with the root key", { error });
      }
      send(worker, { type: "kmsd:seal:status", status: seal.status() });
    } else if (message.type === "kmsd:seal:serving") {
      this.#handoffs.get(message.id)?.(message.error);
    } else if (message.type === "kmsd:seal:request") {
      try {
        send(worker, { type: "kmsd:seal:reply", id: message.id, answer: await perform(seal, message) });
      } catch (error) {
        const refused = error instanceof SealRequestRefused ? error.message : "The primary could not process the request; see its log.";
        if (!(error instanceof SealRequestRefused)) log.error("seal request failed", { error: error instanceof Error ? error.message : String(error) });
        send(worker, { type: "kmsd:seal:reply", id: message.id, refused });
      }
    }
  }

  /** Sends the root key to one worker; resolves to its error, or undefined once it serves. */
  #handOver(worker: Worker, rootKey: WrappingKey): Promise<string | undefined> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => done("a worker did not start serving in time"), HANDOFF_TIMEOUT_MS);
      const onExit = () => done(undefined); // a worker that died is restarted and asks again
      const done = (error: string | undefined) => {
        clearTimeout(timer);
        worker.off("exit", onExit);
        this.#handoffs.delete(id);
        resolve(error);
      };
      worker.once("exit", onExit);
      this.#handoffs.set(id, done);
      rootKey.withBytes((bytes) => send(worker, { type: "kmsd:seal:root-key", id, key: bytes.toString("base64") }));
    });
  }

  #broadcast(message: SealMessage): void {
    for (const worker of Object.values(cluster.workers ?? {})) if (worker?.isConnected()) send(worker, message);
  }
}

/** Performs a forwarded operator request on the primary's seal. */
function perform(seal: NodeSeal, request: SealRequest): Promise<unknown> {
  switch (request.action) {
    case "share":
      return seal.submitShare(request.share, request.origin);
    case "seal":
      return seal.seal(request.origin);
    case "rotate-root":
      return seal.rotateRoot(request.shares, request.origin);
    case "rekey":
      return seal.rekey(request.shares, request.newShares, request.newThreshold, request.origin);
  }
}

/** A worker's side: the seal control its operator endpoints use, and the root key it is handed. */
export class WorkerSealProxy implements SealControl {
  #status: SealStatus;
  readonly #listener: SealListener;
  #rootKey: WrappingKey | undefined;
  #nextId = 1;
  readonly #pending = new Map<number, (reply: Extract<SealMessage, { type: "kmsd:seal:reply" }>) => void>();
  /** Handoffs and seals are applied in the order they arrive. */
  #queue: Promise<unknown> = Promise.resolve();

  /** Resolves once the primary has told this worker its seal's status (and handed it the root key, if it has one). */
  readonly ready: Promise<void>;
  #resolveReady: () => void = () => {};

  constructor(listener: SealListener) {
    this.#status = { sealed: true, mode: "file", progress: 0, threshold: 0 };
    this.#listener = listener;
    this.ready = new Promise((resolve) => (this.#resolveReady = resolve));
    process.on("message", (message: unknown) => {
      if (isSealMessage(message)) this.#receive(message);
    });
    process.send?.({ type: "kmsd:seal:hello" } satisfies SealMessage);
  }

  status(): SealStatus {
    return this.#status;
  }

  submitShare(share: string, origin: OperatorOrigin): Promise<SealStatus> {
    return this.#request({ action: "share", share, origin });
  }

  seal(origin: OperatorOrigin): Promise<SealStatus> {
    return this.#request({ action: "seal", origin });
  }

  rotateRoot(shares: string[], origin: OperatorOrigin): Promise<RotationResult> {
    return this.#request({ action: "rotate-root", shares, origin });
  }

  rekey(shares: string[], newShares: number, newThreshold: number, origin: OperatorOrigin): Promise<RekeyResult> {
    return this.#request({ action: "rekey", shares, newShares, newThreshold, origin });
  }

  /** Forwards `request` to the primary; resolves to its answer (typed by the caller, as the primary's seal returns it). */
  #request<T>(request: SealRequest): Promise<T> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, (reply) => {
        if (reply.answer !== undefined) resolve(reply.answer as T);
        else reject(new SealRequestRefused(reply.refused ?? "refused"));
      });
      process.send?.({ type: "kmsd:seal:request", id, ...request } satisfies SealMessage);
    });
  }

  #receive(message: SealMessage): void {
    if (message.type === "kmsd:seal:reply") {
      this.#pending.get(message.id)?.(message);
      this.#pending.delete(message.id);
    } else if (message.type === "kmsd:seal:status") {
      this.#status = message.status;
      // After any handoff that arrived before it has been applied.
      void this.#queue.then(() => this.#resolveReady());
    } else if (message.type === "kmsd:seal:root-key") {
      const key = WrappingKey.adopt(Buffer.from(message.key, "base64"));
      this.#serially(async () => {
        let error: string | undefined;
        try {
          // Handed the key twice (its hello crossed an unseal): it already serves.
          if (this.#rootKey !== undefined) key.destroy();
          else {
            await this.#listener.unsealed(key);
            this.#rootKey = key;
          }
        } catch (caught) {
          key.destroy();
          error = caught instanceof Error ? caught.message : String(caught);
        }
        process.send?.({ type: "kmsd:seal:serving", id: message.id, ...(error === undefined ? {} : { error }) } satisfies SealMessage);
      });
    } else if (message.type === "kmsd:seal:root-key-changed") {
      this.#serially(async () => {
        if (this.#rootKey !== undefined) await this.#listener.rootKeyChanged(this.#rootKey);
      });
    } else if (message.type === "kmsd:seal:sealed") {
      this.#serially(async () => {
        const key = this.#rootKey;
        this.#rootKey = undefined;
        if (key === undefined) return;
        key.destroy();
        await this.#listener.sealed();
      });
    }
  }

  #serially(operation: () => Promise<void>): void {
    this.#queue = this.#queue.then(operation).catch((error: unknown) => log.error("seal change failed", { error: error instanceof Error ? error.message : String(error) }));
  }
}

function send(worker: Worker, message: SealMessage): void {
  worker.send(message);
}
