/**
 * `kmsd encrypt` and `kmsd decrypt`: files in the AWS Encryption SDK message format,
 * streamed (memory stays flat whatever the file's size) through the SDK's own encrypt and
 * decrypt streams with KMS keyrings, so any Encryption SDK (or the AWS Encryption CLI) can
 * read what these write and the other way round.
 */
import type { EncryptionContext } from "@aws-crypto/client-node";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { UsageError } from "../cli/parseOptions.ts";
import { writeAtomically } from "./atomicFile.ts";
import { parseContextPairs, requireContext } from "./encryptionContext.ts";
import { explainFailure } from "./failures.ts";
import { decryptingKeyring, encryptingKeyring, encryptionSdk } from "./keyrings.ts";
import { clientSettingsOf, KmsClients, type ClientSettings } from "./kmsClients.ts";
import { DECRYPT_OPTIONS, ENCRYPT_OPTIONS, listOf, parseToolArgs, stringOf, type ToolArgs } from "./options.ts";
import { progressBar } from "./progress.ts";

/** What `kmsd encrypt` and `kmsd decrypt` take. */
export interface FileCryptoOptions {
  /** Encrypt: the keys that may open the message (first generates). Decrypt: the only keys that may be used (none: the message's own). */
  keyIds: string[];
  /** Encrypt: the context to bind. Decrypt: pairs the message must carry. */
  context: EncryptionContext;
  inPath: string;
  outPath: string;
  client: ClientSettings;
}

/** The Encryption SDK's frame size: memory use is a few frames, whatever the file's size. */
const FRAME_LENGTH = 64 * 1024;

/** Encrypts a file into an Encryption SDK message. */
export async function encryptFile(options: FileCryptoOptions): Promise<void> {
  await withClients(options.client, async (clients) => {
    const keyring = encryptingKeyring(options.keyIds, clients);
    const { size } = await stat(options.inPath);
    await writeAtomically(options.outPath, 0o644, (out) =>
      pipeline(
        createReadStream(options.inPath),
        progressBar(size, "encrypting"),
        encryptionSdk.encryptStream(keyring, { encryptionContext: options.context, frameLength: FRAME_LENGTH }),
        out,
      ),
    );
  });
}

/**
 * Decrypts an Encryption SDK message into a file, readable by its owner only. The file
 * appears only once the whole message (and its signature) checked out.
 */
export async function decryptFile(options: FileCryptoOptions): Promise<void> {
  await withClients(options.client, async (clients) => {
    const keyring = await decryptingKeyring(options.keyIds, clients);
    const { size } = await stat(options.inPath);
    await writeAtomically(options.outPath, 0o600, (out) =>
      pipeline(createReadStream(options.inPath), progressBar(size, "decrypting"), encryptionSdk.decryptStream(requireContext(keyring, options.context)), out),
    );
  });
}

/** Runs `work` with a fresh set of clients, turning a failure into one line that names what KMS refused. */
async function withClients(settings: ClientSettings, work: (clients: KmsClients) => Promise<void>): Promise<void> {
  const clients = new KmsClients(settings);
  try {
    await work(clients);
  } catch (error) {
    if (isFileError(error)) throw error;
    throw new Error(explainFailure(error, clients.failures), { cause: error });
  } finally {
    clients.destroy();
  }
}

function isFileError(error: unknown): boolean {
  return error instanceof Error && "syscall" in error;
}

/** `kmsd encrypt --key-id KEY [--key-id KEY…] [--context k=v…] --in FILE --out FILE.enc`. */
export async function encryptCommand(args: readonly string[]): Promise<void> {
  const options = fileOptions(parseToolArgs(ENCRYPT_OPTIONS, args));
  if (options.keyIds.length === 0) throw new UsageError("--key-id is required");
  await encryptFile(options);
}

/** `kmsd decrypt --in FILE.enc --out FILE [--key-id KEY…] [--context k=v…]`. */
export async function decryptCommand(args: readonly string[]): Promise<void> {
  await decryptFile(fileOptions(parseToolArgs(DECRYPT_OPTIONS, args)));
}

function fileOptions(values: ToolArgs): FileCryptoOptions {
  const inPath = stringOf(values, "in");
  const outPath = stringOf(values, "out");
  if (inPath === undefined || outPath === undefined) throw new UsageError("--in and --out are required");
  return { keyIds: listOf(values, "key-id"), context: parseContextPairs(listOf(values, "context")), inPath, outPath, client: clientSettingsOf(values) };
}
