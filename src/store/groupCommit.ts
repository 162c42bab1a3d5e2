/**
 * Group commit of a store's writes across requests: what concurrent requests submit while
 * a commit runs goes into the next one, together (one transaction, one flush, one lock and
 * a few multi-row statements for all of them), and each submitter is answered when that
 * commit is. The audit writer does this for events (audit/writer.ts); here it serves
 * CreateKey's inserts, which on PostgreSQL were five round trips and a WAL flush each.
 *
 * A group that fails is tried again one submission at a time, so that one bad row (a key
 * id taken) fails only its own request; except when the database did not answer in time
 * (DependencyTimeoutException), which would only make every request wait that long again.
 */
import { DependencyTimeoutException } from "../errors.ts";

interface Waiting<T> {
  item: T;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Commits submitted items in groups, one group at a time. */
export class GroupCommit<T> {
  readonly #commit: (items: readonly T[]) => Promise<void>;
  #waiting: Waiting<T>[] = [];
  #running = false;

  /** `commit` writes its items in one transaction, all or none. */
  constructor(commit: (items: readonly T[]) => Promise<void>) {
    this.#commit = commit;
  }

  /** Resolves once `item` is committed; rejects with the error of its commit. */
  submit(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#waiting.push({ item, resolve, reject });
      if (!this.#running) void this.#run();
    });
  }

  async #run(): Promise<void> {
    this.#running = true;
    try {
      while (this.#waiting.length > 0) {
        // The requests of this turn of the event loop join the group before it starts.
        await new Promise((resolve) => setImmediate(resolve));
        const group = this.#waiting;
        this.#waiting = [];
        await this.#commitGroup(group);
      }
    } finally {
      this.#running = false;
    }
  }

  async #commitGroup(group: readonly Waiting<T>[]): Promise<void> {
    try {
      await this.#commit(group.map((waiting) => waiting.item));
      for (const waiting of group) waiting.resolve();
    } catch (error) {
      if (group.length === 1 || error instanceof DependencyTimeoutException) {
        for (const waiting of group) waiting.reject(error);
        return;
      }
      await Promise.all(group.map((waiting) => this.#commit([waiting.item]).then(waiting.resolve, waiting.reject)));
    }
  }
}
