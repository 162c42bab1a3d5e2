/**
 * Committed state changes that other worker processes must learn of, because they cache
 * what changed: keys (records, material, grants), access keys, identity policies, the
 * root key's generation, and the --dev clock. A mutation is acknowledged to its caller only after every worker has
 * applied its change (see docs/architecture.md, "Several workers").
 */

/** One committed change. */
export type Change =
  | { kind: "key"; keyId: string }
  | { kind: "accessKey"; accessKeyId: string }
  | { kind: "identityPolicies" }
  | { kind: "clock"; offsetMs: number }
  /** The root key state changed (an online rotation started or finished): read it again (seal/rootKeyFollower.ts). */
  | { kind: "rootKey" }
  /** Anything may have changed (notifications were missed, e.g. while a node was cut off from PostgreSQL): forget every cached record. */
  | { kind: "everything" };

/** What a process does when another one changed something. */
export type ChangeHandler = (change: Change) => void | Promise<void>;

/** How changes travel between the workers that share a data directory. */
export interface ChangeBus {
  /** Tells every other worker of a committed change; resolves once they all applied it. */
  publish(change: Change): Promise<void>;
  /** Registers what this process does when another worker publishes a change. */
  subscribe(handler: ChangeHandler): void;
}

/** The bus of a single process: nobody else to tell. */
export class LocalChangeBus implements ChangeBus {
  async publish(_change: Change): Promise<void> {}

  subscribe(_handler: ChangeHandler): void {}
}

/**
 * A bus whose subscriptions can all be dropped at once: a node that seals drops the
 * services it served with (their caches hold unwrapped material), and their handlers must
 * not keep them alive or act on changes any more. Publishing passes straight through.
 */
export class ScopedChangeBus implements ChangeBus {
  readonly #inner: ChangeBus;
  #handlers: ChangeHandler[] = [];

  constructor(inner: ChangeBus) {
    this.#inner = inner;
    inner.subscribe(async (change) => {
      for (const handler of this.#handlers) await handler(change);
    });
  }

  publish(change: Change): Promise<void> {
    return this.#inner.publish(change);
  }

  subscribe(handler: ChangeHandler): void {
    this.#handlers.push(handler);
  }

  /** Drops every subscription made so far. */
  dropSubscriptions(): void {
    this.#handlers = [];
  }
}
