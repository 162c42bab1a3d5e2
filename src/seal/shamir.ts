/**
 * The `shamir` seal: the root key is wrapped by a random unseal key, and the unseal key
 * exists only as N shares of which any T rebuild it (Shamir's scheme over GF(256), from
 * the audited `shamir-secret-sharing` package; kmsd does no splitting of its own).
 *
 * A share as an operator sees it is base64 of: a format byte, the 8-byte id of its set
 * (so a share of another deployment is told apart), and the library's share (the unseal
 * key's length plus its x coordinate). The seal file keeps each share's SHA-256, so a
 * wrong share is refused as it arrives instead of spoiling the combination.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { combine, split } from "shamir-secret-sharing";
import { WrappingKey } from "../crypto/rootKey.ts";
import { SecretBytes } from "../crypto/secret.ts";
import type { ShamirSeal } from "./sealFile.ts";

const SHARE_FORMAT_V1 = 0x01;
const SET_ID_LENGTH = 8;
/** The library's share of a 32-byte secret: 32 bytes and the x coordinate. */
const SHARE_LENGTH = 33;
const ENCODED_LENGTH = 1 + SET_ID_LENGTH + SHARE_LENGTH;
/** The library's bounds: 2 to 255 shares, and a threshold of 2 up to the number of shares. */
export const MAX_SHARES = 255;

/** The additional data that binds a wrapped root key to its set of shares. */
function rootKeyAad(setId: string): Buffer {
  return Buffer.from(`kmsd root key\nshamir\n${setId}`, "utf8");
}

/** A root key of `seal`'s set wrapped under its unseal key (base64), as the seal file keeps it. */
export function wrapShamirRootKey(seal: Pick<ShamirSeal, "setId">, rootKey: WrappingKey, unsealKey: WrappingKey): string {
  return rootKey.withBytes((bytes) => unsealKey.wrap(bytes, rootKeyAad(seal.setId))).toString("base64");
}

/** Unwraps a root key of `seal`'s set (`wrapped`: the record's, or the next one of a rotation); ShareRefused if the unseal key is not this set's. */
export function unwrapShamirRootKey(seal: Pick<ShamirSeal, "setId">, wrapped: string, unsealKey: WrappingKey): WrappingKey {
  try {
    return WrappingKey.adopt(unsealKey.unwrap(Buffer.from(wrapped, "base64"), rootKeyAad(seal.setId)));
  } catch {
    throw new ShareRefused("The shares did not rebuild the unseal key of this node's seal file; progress was reset.");
  }
}

/** Why a share was refused; the message names no byte of it. */
export class ShareRefused extends Error {}

/** Checks --shares and --threshold. */
export function checkShamirParameters(shares: number, threshold: number): void {
  if (!Number.isInteger(shares) || shares < 2 || shares > MAX_SHARES) throw new Error(`--shares must be a whole number from 2 to ${MAX_SHARES}, not '${shares}'`);
  if (!Number.isInteger(threshold) || threshold < 2 || threshold > shares) {
    throw new Error(`--threshold must be a whole number from 2 to the number of shares (${shares}), not '${threshold}'`);
  }
}

/** Seals `rootKey` under a fresh unseal key split into `shares` shares; returns the record to store and the shares to hand out. */
export async function sealWithShares(rootKey: WrappingKey, shares: number, threshold: number): Promise<{ record: ShamirSeal; shares: string[] }> {
  checkShamirParameters(shares, threshold);
  const setIdBytes = randomBytes(SET_ID_LENGTH);
  const setId = setIdBytes.toString("hex");
  const unsealKey = WrappingKey.generate();
  try {
    const wrappedRootKey = wrapShamirRootKey({ setId }, rootKey, unsealKey);
    const parts = await unsealKey.withBytes((bytes) => split(plainView(bytes), shares, threshold));
    const encoded: string[] = [];
    const shareDigests: string[] = [];
    for (const part of parts) {
      encoded.push(Buffer.concat([Buffer.from([SHARE_FORMAT_V1]), setIdBytes, part]).toString("base64"));
      shareDigests.push(digest(part));
      part.fill(0);
    }
    return { record: { mode: "shamir", setId, shares, threshold, shareDigests, wrappedRootKey }, shares: encoded };
  } finally {
    unsealKey.destroy();
  }
}

/** The library takes exactly Uint8Array, not a Buffer: a view over the same memory, so nothing is copied that would not be zeroed. */
function plainView(bytes: Buffer): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

function digest(share: Uint8Array): string {
  return createHash("sha256").update(share).digest("base64");
}

/**
 * The shares submitted so far towards unsealing. Every share is checked as it arrives;
 * a wrong or foreign one is refused and resets the progress (an operator who mistyped
 * starts over rather than leave a bad share in the pool). When the threshold is reached
 * the unseal key is rebuilt, unwraps the root key, and is zeroed with the shares.
 */
export class ShareCollector {
  readonly #seal: ShamirSeal;
  #shares: SecretBytes[] = [];

  constructor(seal: ShamirSeal) {
    this.#seal = seal;
  }

  get progress(): number {
    return this.#shares.length;
  }

  get threshold(): number {
    return this.#seal.threshold;
  }

  /** Adds one share; resolves to the root key once the threshold is reached, else undefined. Throws ShareRefused. */
  async add(encoded: string): Promise<WrappingKey | undefined> {
    const unsealKey = await this.addForUnsealKey(encoded);
    if (unsealKey === undefined) return undefined;
    try {
      return unwrapShamirRootKey(this.#seal, this.#seal.wrappedRootKey, unsealKey);
    } finally {
      unsealKey.destroy();
    }
  }

  /**
   * Adds one share; resolves to the unseal key itself once the threshold is reached (the
   * caller destroys it), after checking that it unwraps this seal's root key. rotate-root
   * wraps the next root key under it, so the shares stay the same. Throws ShareRefused.
   */
  async addForUnsealKey(encoded: string): Promise<WrappingKey | undefined> {
    let share: SecretBytes;
    try {
      share = this.#check(encoded);
    } catch (error) {
      this.reset();
      throw error;
    }
    this.#shares.push(share);
    if (this.#shares.length < this.#seal.threshold) return undefined;
    try {
      const unsealKey = WrappingKey.adopt(await combine(this.#shares.map((s) => plainView(s.unsafeBytes()))));
      try {
        unwrapShamirRootKey(this.#seal, this.#seal.wrappedRootKey, unsealKey).destroy();
      } catch (error) {
        unsealKey.destroy();
        throw error;
      }
      return unsealKey;
    } finally {
      this.reset();
    }
  }

  /** Forgets (and zeroes) every share submitted so far. */
  reset(): void {
    for (const share of this.#shares) share.zero();
    this.#shares = [];
  }

  #check(encoded: string): SecretBytes {
    const trimmed = encoded.trim();
    const bytes = Buffer.from(trimmed, "base64");
    try {
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) || bytes.length !== ENCODED_LENGTH || bytes[0] !== SHARE_FORMAT_V1) {
        throw new ShareRefused("This is not an unseal share of kmsd (expected the base64 text `kmsd operator init` printed); progress was reset.");
      }
      if (bytes.subarray(1, 1 + SET_ID_LENGTH).toString("hex") !== this.#seal.setId) {
        throw new ShareRefused("This share belongs to another kmsd deployment's seal; progress was reset.");
      }
      const share = bytes.subarray(1 + SET_ID_LENGTH);
      const actual = Buffer.from(digest(share), "base64");
      if (!this.#seal.shareDigests.some((expected) => timingSafeEqual(Buffer.from(expected, "base64"), actual))) {
        throw new ShareRefused("This share is not one of this node's unseal shares; progress was reset.");
      }
      if (this.#shares.some((known) => known.unsafeBytes().equals(share))) {
        throw new ShareRefused("This share was already submitted; progress was reset.");
      }
      return SecretBytes.copyOf(share);
    } finally {
      bytes.fill(0);
    }
  }
}
