/**
 * Writing an output file so that it appears only when complete: into a temporary file in
 * the same directory, renamed over the target on success and removed on failure. A
 * decryption that fails at its last check (the message's signature) leaves nothing behind.
 */
import { randomBytes } from "node:crypto";
import { createWriteStream, type WriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** Runs `write` on a fresh temporary file (created with `mode`), then moves it to `path`. */
export async function writeAtomically(path: string, mode: number, write: (out: WriteStream) => Promise<void>): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.partial`);
  const out = createWriteStream(temporary, { flags: "wx", mode });
  try {
    await write(out);
    await rename(temporary, path);
  } catch (error) {
    out.destroy();
    await rm(temporary, { force: true });
    throw error;
  }
}
