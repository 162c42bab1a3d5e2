/**
 * The example seed file of docs/seed-file.md (the YAML block after its `seed-example`
 * marker), which the seed and tools tests start kmsd with, and the credentials it fixes.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Credentials } from "./kmsd.ts";

const DOC = new URL("../../docs/seed-file.md", import.meta.url).pathname;

/** The example's YAML text, as the page shows it. */
export function seedExample(): string {
  const page = readFileSync(DOC, "utf8");
  const match = /<!-- seed-example[^>]*-->\s*```yaml\n([\s\S]*?)\n```/.exec(page);
  if (!match?.[1]) throw new Error("docs/seed-file.md has no seed-example block");
  return `${match[1]}\n`;
}

/** Writes `text` (the example unless given) to a new temporary file; returns its path. */
export function writeSeedFile(text = seedExample()): string {
  const path = join(mkdtempSync(join(tmpdir(), "kmsd-seed-")), "seed.yaml");
  writeFileSync(path, text);
  return path;
}

/** The 1-based line of the first line of `text` that contains `fragment`. */
export function lineOf(text: string, fragment: string): number {
  const index = text.split("\n").findIndex((line) => line.includes(fragment));
  if (index < 0) throw new Error(`no line contains ${fragment}`);
  return index + 1;
}

/** The ids the example fixes. */
export const EXAMPLE = {
  accountId: "111122223333",
  root: { accessKeyId: "AKIASEEDROOTEXAMPLEA", secretAccessKey: "G9/z/swTNcuFntdqYBcaPy885WX3WiNrl6/AXIwh" } satisfies Credentials,
  ci: { accessKeyId: "AKIASEEDCIUSEREXAMPL", secretAccessKey: "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" } satisfies Credentials,
  appKeyId: "75fda4a5-845e-4c40-973b-bb06b6515593",
  appKeyMaterial: "I5l0eL9SUdWlEN5S+DyCLe6HcnzFDm968UB5MB3mwJs=",
  hmacKeyId: "49c31d9f-46d1-4911-95ee-69269db24aaa",
  hmacKeyMaterial: "P6Vhc51MiAo6d0K7dScO9ulK6rcddtT65NhIsZaZ6zU=",
  signingKeyId: "f12db9f7-9df8-4d9c-b900-ea4916f4271d",
} as const;
