/**
 * The encryption context of the file tools: `--context name=value` pairs, and the check
 * that a message carries the pairs its reader requires before any key is asked to
 * decrypt it (a materials manager wrapped around the keyring's).
 */
import {
  NodeDefaultCryptographicMaterialsManager,
  type EncryptionContext,
  type KeyringNode,
  type NodeMaterialsManager,
} from "@aws-crypto/client-node";

/** Context names the Encryption SDK keeps for itself (the signing key travels under one). */
const RESERVED_PREFIX = "aws-crypto-";

/** Parses `name=value` pairs (the value may hold `=`); a name given twice, an empty name or a reserved one is refused. */
export function parseContextPairs(pairs: readonly string[]): EncryptionContext {
  const context: EncryptionContext = Object.create(null) as EncryptionContext;
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new Error(`--context takes name=value, not '${pair}'`);
    const name = pair.slice(0, at);
    if (name.startsWith(RESERVED_PREFIX)) throw new Error(`--context names starting with '${RESERVED_PREFIX}' are reserved by the Encryption SDK`);
    if (Object.hasOwn(context, name)) throw new Error(`--context names '${name}' twice`);
    context[name] = pair.slice(at + 1);
  }
  return context;
}

/** The pairs of `required` that `actual` lacks or holds with another value, by name. */
export function missingContext(required: EncryptionContext, actual: EncryptionContext): string[] {
  return Object.keys(required).filter((name) => !Object.hasOwn(actual, name) || actual[name] !== required[name]);
}

/** Raised when a message's encryption context lacks a required pair; names them, never their values. */
export class ContextMismatchError extends Error {
  override readonly name = "ContextMismatchError";
  readonly names: string[];
  constructor(names: string[]) {
    super(`the message's encryption context does not match the required context (${names.map((name) => `'${name}'`).join(", ")} missing or different)`);
    this.names = names;
  }
}

/**
 * The keyring's default materials manager, refusing to decrypt a message whose context
 * lacks a pair of `required`: the check runs before KMS is called, so a mismatching
 * message costs no Decrypt request and no plaintext is ever produced from it.
 */
export function requireContext(keyring: KeyringNode, required: EncryptionContext): NodeMaterialsManager {
  const inner = new NodeDefaultCryptographicMaterialsManager(keyring);
  return {
    getEncryptionMaterials: (request) => inner.getEncryptionMaterials(request),
    decryptMaterials: async (request) => {
      const missing = missingContext(required, request.encryptionContext);
      if (missing.length > 0) throw new ContextMismatchError(missing);
      return inner.decryptMaterials(request);
    },
  };
}
