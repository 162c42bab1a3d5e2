/**
 * The `pkcs11` seal: the root key is wrapped (AES-256-GCM) by an AES key that never leaves
 * a PKCS#11 token (an HSM; SoftHSM2 in tests). The token's key is made by the token itself
 * on first use (sensitive, not extractable) and found by its label afterwards. The PIN
 * comes from KMSD_PKCS11_PIN only, never a flag (argv is visible in `ps`). The native
 * binding (`pkcs11js`, an optional dependency) is loaded only in this mode.
 */
import { randomBytes } from "node:crypto";
import { WrappingKey } from "../crypto/rootKey.ts";
import type { Pkcs11Seal } from "./sealFile.ts";

/** Where the sealing key lives: --pkcs11-module, --pkcs11-token-label, --pkcs11-key-label, and the PIN. */
export interface Pkcs11Options {
  module: string;
  tokenLabel: string;
  keyLabel: string;
  pin: string;
}

/** The environment variable that carries the token's user PIN. */
export const PIN_VARIABLE = "KMSD_PKCS11_PIN";

const IV_LENGTH = 12;
const TAG_BITS = 128;

type Binding = typeof import("pkcs11js");

/** An open, logged-in session with the token. */
export interface TokenSession {
  binding: Binding;
  pkcs11: InstanceType<Binding["PKCS11"]>;
  session: Buffer;
}

async function loadBinding(): Promise<Binding> {
  try {
    const loaded = (await import("pkcs11js")) as Binding & { default?: Binding };
    return loaded.default ?? loaded;
  } catch (error) {
    throw new Error(`the pkcs11 seal needs the optional dependency pkcs11js (a native module), which could not be loaded: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Opens the module, finds the token by label and logs in; runs `use`, then logs out and finalizes whatever happened. */
export async function withToken<T>(options: Pkcs11Options, use: (token: TokenSession) => T): Promise<T> {
  const binding = await loadBinding();
  const pkcs11 = new binding.PKCS11();
  pkcs11.load(options.module);
  pkcs11.C_Initialize();
  try {
    const slot = pkcs11.C_GetSlotList(true).find((candidate) => pkcs11.C_GetTokenInfo(candidate).label.trim() === options.tokenLabel);
    if (slot === undefined) throw new Error(`no PKCS#11 token labelled '${options.tokenLabel}' in ${options.module}`);
    const session = pkcs11.C_OpenSession(slot, binding.CKF_SERIAL_SESSION | binding.CKF_RW_SESSION);
    try {
      pkcs11.C_Login(session, binding.CKU_USER, options.pin);
      try {
        return use({ binding, pkcs11, session });
      } finally {
        pkcs11.C_Logout(session);
      }
    } finally {
      pkcs11.C_CloseSession(session);
    }
  } finally {
    pkcs11.C_Finalize();
  }
}

/** The token's AES key labelled `label`; with `create`, the token makes one if there is none. */
export function findKey(token: TokenSession, label: string, create: boolean): Buffer {
  const { binding, pkcs11, session } = token;
  pkcs11.C_FindObjectsInit(session, [
    { type: binding.CKA_CLASS, value: binding.CKO_SECRET_KEY },
    { type: binding.CKA_LABEL, value: label },
  ]);
  let found: Buffer[];
  try {
    found = pkcs11.C_FindObjects(session, 2);
  } finally {
    pkcs11.C_FindObjectsFinal(session);
  }
  if (found.length > 1) throw new Error(`the token holds several keys labelled '${label}'`);
  if (found[0] !== undefined) return found[0];
  if (!create) throw new Error(`the token holds no key labelled '${label}'`);
  return pkcs11.C_GenerateKey(session, { mechanism: binding.CKM_AES_KEY_GEN }, [
    { type: binding.CKA_CLASS, value: binding.CKO_SECRET_KEY },
    { type: binding.CKA_KEY_TYPE, value: binding.CKK_AES },
    { type: binding.CKA_VALUE_LEN, value: 32 },
    { type: binding.CKA_LABEL, value: label },
    { type: binding.CKA_TOKEN, value: true },
    { type: binding.CKA_PRIVATE, value: true },
    { type: binding.CKA_SENSITIVE, value: true },
    { type: binding.CKA_EXTRACTABLE, value: false },
    { type: binding.CKA_ENCRYPT, value: true },
    { type: binding.CKA_DECRYPT, value: true },
  ]);
}

/** The AES-GCM mechanism with a 96-bit IV and a 128-bit tag. */
export function gcm(binding: Binding, iv: Buffer, aad: Buffer) {
  return { mechanism: binding.CKM_AES_GCM, parameter: { type: binding.CK_PARAMS_AES_GCM, iv, aad, ivBits: IV_LENGTH * 8, tagBits: TAG_BITS } };
}

/** The additional data that binds the wrapped root key to its token key. */
function rootKeyAad(tokenLabel: string, keyLabel: string): Buffer {
  return Buffer.from(`kmsd root key\npkcs11\n${tokenLabel}\n${keyLabel}`, "utf8");
}

/** Wraps `rootKey` under the token's key (made now if the token has none); returns the record to store. */
export async function sealWithPkcs11(rootKey: WrappingKey, options: Pkcs11Options): Promise<Pkcs11Seal> {
  const iv = randomBytes(IV_LENGTH);
  const wrapped = await withToken(options, (token) => {
    const key = findKey(token, options.keyLabel, true);
    token.pkcs11.C_EncryptInit(token.session, gcm(token.binding, iv, rootKeyAad(options.tokenLabel, options.keyLabel)), key);
    return rootKey.withBytes((bytes) => Buffer.from(token.pkcs11.C_Encrypt(token.session, bytes, Buffer.alloc(bytes.length + TAG_BITS / 8))));
  });
  return { mode: "pkcs11", tokenLabel: options.tokenLabel, keyLabel: options.keyLabel, iv: iv.toString("base64"), wrappedRootKey: wrapped.toString("base64") };
}

/** Unwraps the root key with the token's key. */
export async function unsealWithPkcs11(seal: Pkcs11Seal, options: Pkcs11Options): Promise<WrappingKey> {
  return withToken(options, (token) => {
    const key = findKey(token, seal.keyLabel, false);
    const wrapped = Buffer.from(seal.wrappedRootKey, "base64");
    token.pkcs11.C_DecryptInit(token.session, gcm(token.binding, Buffer.from(seal.iv, "base64"), rootKeyAad(seal.tokenLabel, seal.keyLabel)), key);
    const out = Buffer.alloc(wrapped.length);
    return WrappingKey.adopt(token.pkcs11.C_Decrypt(token.session, wrapped, out));
  });
}
