/**
 * `kmsd env encrypt` and `kmsd env decrypt`: dotenv files whose values are encrypted one
 * by one, each as its own AWS Encryption SDK message with the variable's name in its
 * encryption context (`variable=NAME`), so a value moved to another name no longer
 * decrypts, and a key policy can grant a variable by name (`kms:EncryptionContext:variable`).
 * Names, comments and layout stay readable, so the file can be committed and reviewed.
 *
 * A value is written as `ENC[esdk:<base64 message>]`. Values are encrypted with the
 * committing suite without signatures (format version 2 still): a signature would
 * add some 200 bytes to every line of a file meant to be read.
 */
import { AlgorithmSuiteIdentifier, type EncryptionContext } from "@aws-crypto/client-node";
import { UsageError } from "../cli/parseOptions.ts";
import { formatDotenv, formatVariable, parseDotenv, type DotenvLine } from "./dotenv.ts";
import { parseContextPairs, requireContext } from "./encryptionContext.ts";
import { explainFailure } from "./failures.ts";
import { decryptingKeyring, encryptingKeyring, encryptionSdk } from "./keyrings.ts";
import { clientSettingsOf, KmsClients, type ClientSettings } from "./kmsClients.ts";
import { ENV_DECRYPT_OPTIONS, ENV_ENCRYPT_OPTIONS, listOf, parseToolArgs, type ToolArgs } from "./options.ts";

/** The encryption context name that carries a value's variable name. */
export const VARIABLE_CONTEXT_NAME = "variable";

const PREFIX = "ENC[esdk:";
const SUFFIX = "]";
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** What encrypting or decrypting a dotenv file takes. */
export interface EnvCryptoOptions {
  /** Encrypt: the keys that may open each value. Decrypt: the only keys that may be used (none: each value's own). */
  keyIds: string[];
  /** Pairs bound to every value besides its name (encrypt), or required of every value (decrypt). */
  context: EncryptionContext;
  client: ClientSettings;
}

/** One decrypted variable, with the line it is on. */
export interface PlainVariable {
  line: number;
  name: string;
  value: string;
}

/** True if a dotenv value is an encrypted one. */
export function isEncryptedValue(value: string): boolean {
  return value.startsWith(PREFIX) && value.endsWith(SUFFIX);
}

/**
 * Encrypts every plain value of a dotenv file; values already encrypted stay as they are,
 * so re-encrypting a file after adding one variable changes that one line only.
 */
export async function encryptDotenv(text: string, options: EnvCryptoOptions): Promise<string> {
  const lines = parseDotenv(text);
  return withClients(options.client, async (clients) => {
    const keyring = encryptingKeyring(options.keyIds, clients);
    const encrypted = new Map<DotenvLine, string>();
    for (const line of lines) {
      if (line.kind !== "variable" || isEncryptedValue(line.value)) continue;
      const { result } = await perVariable(line, clients, () =>
        encryptionSdk.encrypt(keyring, Buffer.from(line.value, "utf8"), {
          encryptionContext: contextOf(options.context, line.name),
          suiteId: AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY,
        }),
      );
      encrypted.set(line, `${PREFIX}${result.toString("base64")}${SUFFIX}`);
    }
    return formatDotenv(lines, (line) => formatVariable({ ...line, value: encrypted.get(line) ?? line.value }));
  });
}

/** Decrypts every encrypted value of a dotenv file (plain values pass as they are); in memory only. */
export async function decryptDotenv(text: string, options: EnvCryptoOptions): Promise<{ lines: DotenvLine[]; variables: PlainVariable[] }> {
  const lines = parseDotenv(text);
  const variables = await withClients(options.client, async (clients) => {
    const keyring = await decryptingKeyring(options.keyIds, clients);
    const plain: PlainVariable[] = [];
    for (const line of lines) {
      if (line.kind !== "variable") continue;
      if (!isEncryptedValue(line.value)) {
        plain.push({ line: line.line, name: line.name, value: line.value });
        continue;
      }
      const message = line.value.slice(PREFIX.length, -SUFFIX.length);
      if (!BASE64.test(message)) throw new Error(`${line.name} (line ${line.line}): the encrypted value is not base64`);
      const { plaintext } = await perVariable(line, clients, () =>
        encryptionSdk.decrypt(requireContext(keyring, contextOf(options.context, line.name)), Buffer.from(message, "base64")),
      );
      plain.push({ line: line.line, name: line.name, value: Buffer.from(plaintext).toString("utf8") });
    }
    return plain;
  });
  return { lines, variables };
}

/** The context of one value: the given pairs and its variable's name. */
function contextOf(context: EncryptionContext, name: string): EncryptionContext {
  if (Object.hasOwn(context, VARIABLE_CONTEXT_NAME)) throw new Error(`--context may not name '${VARIABLE_CONTEXT_NAME}': it carries each value's variable name`);
  return { ...context, [VARIABLE_CONTEXT_NAME]: name };
}

/** Runs one variable's work; a failure names the variable and line, and what KMS refused on its behalf. */
async function perVariable<T>(line: { name: string; line: number }, clients: KmsClients, work: () => Promise<T>): Promise<T> {
  const failuresBefore = clients.failures.length;
  try {
    return await work();
  } catch (error) {
    throw new Error(`${line.name} (line ${line.line}): ${explainFailure(error, clients.failures.slice(failuresBefore))}`, { cause: error });
  }
}

async function withClients<T>(settings: ClientSettings, work: (clients: KmsClients) => Promise<T>): Promise<T> {
  const clients = new KmsClients(settings);
  try {
    return await work(clients);
  } finally {
    clients.destroy();
  }
}

/** The options out of parsed tool arguments. */
export function envCryptoOptionsOf(values: ToolArgs): EnvCryptoOptions {
  return { keyIds: listOf(values, "key-id"), context: parseContextPairs(listOf(values, "context")), client: clientSettingsOf(values) };
}

/** `kmsd env encrypt`: a dotenv file on stdin, encrypted on stdout. */
export async function envEncryptCommand(args: readonly string[]): Promise<void> {
  const options = envCryptoOptionsOf(parseToolArgs(ENV_ENCRYPT_OPTIONS, args));
  if (options.keyIds.length === 0) throw new UsageError("--key-id is required");
  process.stdout.write(await encryptDotenv(await readStdin(), options));
}

/** `kmsd env decrypt`: an encrypted dotenv file on stdin, plain on stdout (a terminal only with --force). */
export async function envDecryptCommand(args: readonly string[]): Promise<void> {
  const values = parseToolArgs(ENV_DECRYPT_OPTIONS, args);
  if (process.stdout.isTTY && values.force !== true) throw new Error("refusing to print secrets to a terminal (redirect the output, or add --force)");
  const { lines, variables } = await decryptDotenv(await readStdin(), envCryptoOptionsOf(values));
  const byLine = new Map(variables.map((variable) => [variable.line, variable.value]));
  process.stdout.write(formatDotenv(lines, (line) => formatVariable({ ...line, value: byLine.get(line.line) ?? line.value })));
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
