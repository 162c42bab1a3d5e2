/**
 * How a serving process follows an online root key rotation (rotateRoot.ts) that another
 * process or node runs: the database's root key state is the one source of truth. When it
 * records a rotation whose next key is wrapped under this process's current generation,
 * the process unwraps it and wraps under it from then on (still unwrapping the old
 * generation); when the rotation has finished, it lets the old key go. It looks when told
 * (a `rootKey` change on the change bus: the rotation announces each step to the workers
 * and, on PostgreSQL, to the other nodes) and, in case a notification is lost, every
 * ROOT_KEY_POLL_MS.
 */
import type { RootKeyring } from "../crypto/rootKeyring.ts";
import { log } from "../server/log.ts";
import type { Store } from "../store/store.ts";
import { readRootKeyState, unwrapNextRootKey } from "./rootKeyCheck.ts";

/** How often a serving process reads the root key state without being told (ROTATION_GRACE_MS is longer). */
export const ROOT_KEY_POLL_MS = 1_000;

/** Follows the database's root key state with `keyring` (the one the process's services wrap with). */
export class RootKeyFollower {
  readonly #store: Store;
  readonly #keyring: RootKeyring;
  #timer: NodeJS.Timeout | undefined;
  /** One look at a time: two notifications in a row must not advance the keyring twice. */
  #looking: Promise<void> = Promise.resolve();
  /** The generation this node fell behind (said once, not at every poll). */
  #behind: number | undefined;

  constructor(store: Store, keyring: RootKeyring) {
    this.#store = store;
    this.#keyring = keyring;
  }

  /** Starts the fallback poll. */
  start(): void {
    this.#timer = setInterval(() => void this.follow(), ROOT_KEY_POLL_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Reads the root key state and follows it; failures are logged (the next look tries again). */
  follow(): Promise<void> {
    const look = this.#looking.then(() => this.#look());
    this.#looking = look.catch((error: unknown) => log.error("could not follow the root key state", { error: error instanceof Error ? error.message : String(error) }));
    return this.#looking;
  }

  async #look(): Promise<void> {
    const state = await readRootKeyState(this.#store);
    if (state === undefined) return;
    const keyring = this.#keyring;
    const rotation = state.rotation;
    if (rotation?.wrappedKey !== undefined && rotation.generation > keyring.generation) {
      if (keyring.generation !== state.generation) throw new Error(`the database rotates from root key generation ${state.generation}, this node holds ${keyring.generation}`);
      keyring.advance({ generation: rotation.generation, key: unwrapNextRootKey(keyring, rotation) });
      log.info("root key rotation: wrapping under the next generation", { rootKeyGeneration: rotation.generation });
    } else if (rotation === undefined && state.generation === keyring.generation && keyring.previousGeneration !== undefined) {
      keyring.forgetPrevious();
      log.info("root key rotation finished: the previous generation is let go", { rootKeyGeneration: state.generation });
    } else if (state.generation > keyring.generation && this.#behind !== state.generation) {
      this.#behind = state.generation;
      log.error("the root key was rotated past this node's generation: seal and unseal it (or restart it) with the deployment's current seal", {
        rootKeyGeneration: state.generation,
        nodeGeneration: keyring.generation,
      });
    }
  }
}
