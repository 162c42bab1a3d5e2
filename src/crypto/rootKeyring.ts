/**
 * The deployment's root key as the services use it: the current root key generation, which
 * wraps every new secret, and while `kmsd operator rotate-root` runs the generation it
 * replaces, which still unwraps what is not re-wrapped yet. Each wrapped secret names its
 * generation (rootKey.ts's wrap format), so the keyring picks the key without trying both.
 *
 * Keys derived from the root key (grant token MACs, key material ids) must outlive a
 * rotation: a grant token handed out or a material id stored before it must still match.
 * Generation 1 derives them from its own bytes; the first rotation stores those derived
 * keys (never the old root key) wrapped in the database, and from then on they come from
 * there (src/seal/rootKeyState.ts).
 */
import { FIRST_GENERATION, wrapGeneration, type RootKey, type WrappingKey } from "./rootKey.ts";
import { SecretBytes } from "./secret.ts";

/** The purposes whose derived keys stay the same across root key rotations (what they protect outlives a rotation). */
export const STABLE_DERIVED_PURPOSES = {
  /** The MAC key of grant tokens, which callers hold. */
  grantTokens: "grant tokens",
  /** The key that names material versions (the same imported material gets the same id again). */
  keyMaterialIds: "key material ids",
} as const;

/** One root key generation. */
export interface RootKeyGeneration {
  generation: number;
  key: WrappingKey;
}

/** The root key generations a node holds, and the derived keys that outlive them. */
export class RootKeyring implements RootKey {
  #current: RootKeyGeneration;
  #previous: RootKeyGeneration | undefined;
  /** After a rotation: the stable derived keys, as the database keeps them. Undefined in generation 1, which derives them itself. */
  #derived: Map<string, SecretBytes> | undefined;
  /** Generation keys this keyring was handed to keep (advance): it zeroes them; the seal's own key is the seal's to zero. */
  readonly #owned = new Set<WrappingKey>();

  constructor(current: RootKeyGeneration, options: { previous?: RootKeyGeneration; derived?: Map<string, SecretBytes> } = {}) {
    this.#current = current;
    this.#previous = options.previous;
    this.#derived = options.derived;
  }

  /**
   * An online rotation (src/seal/rootKeyFollower.ts): `next` becomes the generation that
   * wraps, the current one stays to unwrap what is not re-wrapped yet. The keyring owns
   * `next`'s key from here on. Generation 1 derives the stable keys itself: they are kept
   * before it stops being current, so they stay the same.
   */
  advance(next: RootKeyGeneration): void {
    if (next.generation <= this.#current.generation) throw new Error(`root key generation ${next.generation} does not follow ${this.#current.generation}`);
    if (this.#derived === undefined) {
      if (this.#current.generation !== FIRST_GENERATION) throw new Error("the derived keys of a rotated root key were not loaded");
      const entries = Object.values(STABLE_DERIVED_PURPOSES).map((purpose): [string, Buffer] => [purpose, this.#current.key.deriveKey(purpose)]);
      this.#derived = derivedKeyMap(entries);
      for (const [, bytes] of entries) bytes.fill(0);
    }
    this.#dropPrevious();
    this.#previous = this.#current;
    this.#current = next;
    this.#owned.add(next.key);
  }

  /** The rotation finished: nothing is wrapped under the previous generation any more, so its key is let go (zeroed if this keyring owns it). */
  forgetPrevious(): void {
    this.#dropPrevious();
  }

  /** The generation before the current one, while a rotation may still need it. */
  get previousGeneration(): number | undefined {
    return this.#previous?.generation;
  }

  #dropPrevious(): void {
    const previous = this.#previous;
    this.#previous = undefined;
    if (previous !== undefined && this.#owned.delete(previous.key)) previous.key.destroy();
  }

  get generation(): number {
    return this.#current.generation;
  }

  wrap(plaintext: Buffer, aad: Buffer): Buffer {
    return this.#current.key.wrap(plaintext, aad, this.#current.generation);
  }

  unwrap(wrapped: Buffer, aad: Buffer): Buffer {
    const generation = wrapGeneration(wrapped);
    if (generation === this.#current.generation) return this.#current.key.unwrap(wrapped, aad);
    if (generation === this.#previous?.generation) return this.#previous.key.unwrap(wrapped, aad);
    throw new Error(`wrapped under root key generation ${generation}, which this node does not hold (it holds ${this.#current.generation})`);
  }

  /** Whether `wrapped` is wrapped under the current generation (what rotation leaves alone). */
  isCurrent(wrapped: Uint8Array): boolean {
    return wrapGeneration(wrapped) === this.#current.generation;
  }

  deriveKey(purpose: string): Buffer {
    if (this.#derived === undefined) {
      if (this.#current.generation !== FIRST_GENERATION) throw new Error("the derived keys of a rotated root key were not loaded");
      return this.#current.key.deriveKey(purpose);
    }
    const stored = this.#derived.get(purpose);
    if (stored === undefined) throw new Error(`no derived key for '${purpose}' survives root key rotation`);
    return Buffer.from(stored.unsafeBytes());
  }

  /** Zeroes the derived keys and the generation keys it owns (the seal's key belongs to the seal, which zeroes it). */
  destroy(): void {
    for (const key of this.#derived?.values() ?? []) key.zero();
    for (const key of this.#owned) key.destroy();
    this.#owned.clear();
  }

  toString(): string {
    return `[root key generation ${this.#current.generation}]`;
  }

  toJSON(): string {
    return this.toString();
  }
}

/** Copies derived keys into SecretBytes of their own. */
export function derivedKeyMap(entries: Iterable<[string, Uint8Array]>): Map<string, SecretBytes> {
  return new Map([...entries].map(([purpose, bytes]) => [purpose, SecretBytes.copyOf(bytes)]));
}
