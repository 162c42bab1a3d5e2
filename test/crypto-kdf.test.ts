/**
 * The counter-mode KDF (NIST SP 800-108, HMAC-SHA256) derives every ciphertext's AES key: its
 * output must never change, or every stored ciphertext stops opening. Known answers recorded
 * from the implementation that sealed the ciphertexts of kmsd 34fa4b2, for one and several blocks.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createSecretKey } from "node:crypto";
import { deriveKeyCounterMode } from "../src/crypto/kdf.ts";

const KEY = Buffer.from("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "hex");
const LABEL = Buffer.from("kmsd symmetric v1", "utf8");
const CONTEXT = Buffer.from("kmsd kdf known answer", "utf8");

const KNOWN_ANSWERS: { lengthBytes: number; hex: string }[] = [
  { lengthBytes: 16, hex: "f4fdb728687d6a6c753c648b2011b2c4" },
  { lengthBytes: 32, hex: "bb4795b973373f8a1db051cf02d5c8425da286a2d6bce05cb68aa033f3d41bd7" },
  { lengthBytes: 48, hex: "090c58d148ae860318773e119f58ebee308104fd4893c4339b55e6368820da37a53703d4c480d32573cad2635db97f4f" },
  { lengthBytes: 64, hex: "3a1bb64e6d17bc91b3eadd915e2277a804dd8b8b5a54377f55f291d48d9da1e46ae070c44dc907832296c5921fda3e18eeb35106f32da77d9a45b466f2b0b6b0" },
  {
    lengthBytes: 100,
    hex: "b8f970f4e4f7b514fbfbf55fe63cb7bc5e055107d4706e29aaec15e060597e5c82e12bd8529771a785f36d0b4ba6340a0bf21d1e26677e4cbaf0f6cdb5ae277dd672f3e45a91d1b3c2f9c4eaf0512a40b8f18f9b43329038dfcc75b0b14a590ccc71b32b",
  },
];

describe("counter-mode KDF", () => {
  for (const { lengthBytes, hex } of KNOWN_ANSWERS) {
    it(`derives the known ${lengthBytes} bytes, from a raw key and from a prepared key object alike`, () => {
      assert.equal(deriveKeyCounterMode(KEY, LABEL, CONTEXT, lengthBytes).toString("hex"), hex);
      assert.equal(deriveKeyCounterMode(createSecretKey(KEY), LABEL, CONTEXT, lengthBytes).toString("hex"), hex);
    });
  }

  it("a different context or label derives a different key", () => {
    const base = deriveKeyCounterMode(KEY, LABEL, CONTEXT).toString("hex");
    assert.notEqual(deriveKeyCounterMode(KEY, LABEL, Buffer.from("kmsd kdf known answeR")).toString("hex"), base);
    assert.notEqual(deriveKeyCounterMode(KEY, Buffer.from("kmsd symmetric v2"), CONTEXT).toString("hex"), base);
  });
});
