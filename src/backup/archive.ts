/**
 * The backup file: one line naming the format, one line of JSON manifest (each file's
 * path, size and SHA-256), then the files' bytes one after another in manifest order.
 * Plain enough to inspect with `head -2`; every byte after the manifest is accounted for
 * by a size and checked by a hash before anything is restored.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { open, stat } from "node:fs/promises";
import { once } from "node:events";
import type { Writable } from "node:stream";
import { finished } from "node:stream/promises";

/** The first line of every backup file. */
export const BACKUP_MAGIC = "KMSD-BACKUP 1";

/** One file in a backup. */
export interface ArchivedFile {
  /** Relative to the data directory, with forward slashes. */
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

/** What a backup holds, besides the files themselves. */
export interface Manifest {
  readonly createdAt: string;
  /** A value wrapped by the data directory's root key: restore --root-key checks it is the same key. */
  readonly rootKeyCheck: string;
  readonly files: readonly ArchivedFile[];
}

/** A path a manifest may name: relative, no `..`, nothing but plain name characters. */
const SAFE_PATH = /^(?!.*(?:^|\/)\.\.?(?:\/|$))[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._=-]+)*$/;

/** Writes `sources` (absolute path → archived path) into a backup file at `out`; `progress` hears bytes written. */
export async function writeArchive(
  out: string,
  header: Omit<Manifest, "files">,
  sources: ReadonlyArray<{ from: string; path: string }>,
  progress: (done: number, total: number) => void,
): Promise<Manifest> {
  const files: ArchivedFile[] = [];
  for (const source of sources) files.push({ path: source.path, size: (await stat(source.from)).size, sha256: await sha256Of(source.from) });
  const manifest: Manifest = { ...header, files };
  const total = files.reduce((sum, file) => sum + file.size, 0);
  const output = createWriteStream(out, { flags: "wx", mode: 0o600 });
  output.write(`${BACKUP_MAGIC}\n${JSON.stringify(manifest)}\n`);
  let done = 0;
  for (const source of sources) {
    for await (const chunk of createReadStream(source.from)) {
      await write(output, chunk as Buffer);
      done += (chunk as Buffer).length;
      progress(done, total);
    }
  }
  output.end();
  await finished(output);
  return manifest;
}

/** An opened backup file whose manifest has been read and checked for shape. */
export interface OpenedArchive {
  readonly manifest: Manifest;
  /** Where the first file's bytes start. */
  readonly dataOffset: number;
}

/** Reads and checks the manifest of the backup file at `path` (sizes against the file's length). */
export async function readManifest(path: string): Promise<OpenedArchive> {
  const handle = await open(path, "r");
  try {
    const head = Buffer.alloc(1024 * 1024);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const text = head.subarray(0, bytesRead);
    const first = text.indexOf(10);
    const second = first < 0 ? -1 : text.indexOf(10, first + 1);
    if (first < 0 || second < 0 || text.subarray(0, first).toString("utf8") !== BACKUP_MAGIC) throw new Error(`${path} is not a kmsd backup file`);
    const manifest = parseManifest(text.subarray(first + 1, second).toString("utf8"), path);
    const dataOffset = second + 1;
    const expected = dataOffset + manifest.files.reduce((sum, file) => sum + file.size, 0);
    const { size } = await handle.stat();
    if (size !== expected) throw new Error(`${path} is ${size} bytes, its manifest accounts for ${expected}: the file is truncated or altered`);
    return { manifest, dataOffset };
  } finally {
    await handle.close();
  }
}

function parseManifest(text: string, path: string): Manifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${path}: the manifest is not valid JSON`);
  }
  const manifest = value as Partial<Manifest> | null;
  const files = manifest?.files;
  if (typeof manifest?.createdAt !== "string" || typeof manifest.rootKeyCheck !== "string" || !Array.isArray(files)) {
    throw new Error(`${path}: the manifest lacks createdAt, rootKeyCheck or files`);
  }
  for (const file of files as unknown[]) {
    const entry = file as Partial<ArchivedFile> | null;
    if (typeof entry?.path !== "string" || !SAFE_PATH.test(entry.path) || !Number.isSafeInteger(entry.size) || (entry.size ?? -1) < 0 || !/^[0-9a-f]{64}$/.test(entry.sha256 ?? "")) {
      throw new Error(`${path}: the manifest names a file it may not (${JSON.stringify(entry?.path)}) or without size and hash`);
    }
  }
  return manifest as Manifest;
}

/** Copies one archived file out of the backup to `to`, checking its hash; throws (leaving `to` behind) on a mismatch. */
export async function extractFile(archive: string, start: number, file: ArchivedFile, to: string): Promise<void> {
  const hash = createHash("sha256");
  const output = createWriteStream(to, { flags: "wx", mode: 0o600 });
  if (file.size > 0) {
    for await (const chunk of createReadStream(archive, { start, end: start + file.size - 1 })) {
      hash.update(chunk as Buffer);
      await write(output, chunk as Buffer);
    }
  }
  output.end();
  await finished(output);
  if (hash.digest("hex") !== file.sha256) throw new Error(`${file.path} in the backup does not match its SHA-256: the backup is damaged`);
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** Writes a chunk, waiting for the stream to drain when its buffer is full. */
async function write(output: Writable, chunk: Buffer): Promise<void> {
  if (!output.write(chunk)) await once(output, "drain");
}
