/**
 * The change bus of a worker process under `kmsd serve --workers N`: changes go to the
 * primary over the cluster IPC channel, which relays them to every other worker and
 * answers once they all applied them (src/cluster/primary.ts).
 */
import type { Change, ChangeBus, ChangeHandler } from "./changes.ts";

/** Messages between workers and the primary. */
export type ClusterMessage =
  | { type: "kmsd:publish"; id: number; change: Change }
  | { type: "kmsd:published"; id: number }
  | { type: "kmsd:apply"; id: number; change: Change }
  | { type: "kmsd:applied"; id: number };

/** True for a message of kmsd's cluster protocol. */
export function isClusterMessage(message: unknown): message is ClusterMessage {
  return typeof message === "object" && message !== null && String((message as { type?: unknown }).type).startsWith("kmsd:");
}

/** A worker's end of the bus. */
export class IpcChangeBus implements ChangeBus {
  readonly #handlers: ChangeHandler[] = [];
  readonly #pending = new Map<number, () => void>();
  #nextId = 1;

  constructor() {
    process.on("message", (message: unknown) => {
      if (!isClusterMessage(message)) return;
      if (message.type === "kmsd:published") {
        this.#pending.get(message.id)?.();
        this.#pending.delete(message.id);
      } else if (message.type === "kmsd:apply") {
        void this.#apply(message.id, message.change);
      }
    });
  }

  publish(change: Change): Promise<void> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      send({ type: "kmsd:publish", id, change });
    });
  }

  subscribe(handler: ChangeHandler): void {
    this.#handlers.push(handler);
  }

  async #apply(id: number, change: Change): Promise<void> {
    try {
      for (const handler of this.#handlers) await handler(change);
    } finally {
      send({ type: "kmsd:applied", id });
    }
  }
}

function send(message: ClusterMessage): void {
  process.send?.(message);
}
