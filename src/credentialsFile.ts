/**
 * The credentials file kmsd writes on a first start (`<data-dir>/credentials`, mode 0600):
 * an AWS shared-credentials file with one `[default]` profile, so that the AWS CLI and SDKs
 * read it as they read `~/.aws/credentials`. Written and read here only.
 */
import { readFileSync, writeFileSync } from "node:fs";

/** An access key pair, as the AWS SDKs take it. */
export interface AccessKeyPair {
  accessKeyId: string;
  secretAccessKey: string;
}

/** Writes the file (mode 0600) with one `[default]` profile. */
export function writeCredentialsFile(path: string, keys: AccessKeyPair, region: string): void {
  const text = ["[default]", `aws_access_key_id = ${keys.accessKeyId}`, `aws_secret_access_key = ${keys.secretAccessKey}`, `region = ${region}`, ""].join("\n");
  writeFileSync(path, text, { mode: 0o600 });
}

/** Reads the `[default]` profile back; throws if the file has none. */
export function readCredentialsFile(path: string): AccessKeyPair {
  const text = readFileSync(path, "utf8");
  const value = (name: string) => new RegExp(`^${name}\\s*=\\s*(.+)$`, "m").exec(text)?.[1]?.trim();
  const accessKeyId = value("aws_access_key_id");
  const secretAccessKey = value("aws_secret_access_key");
  if (!accessKeyId || !secretAccessKey) throw new Error(`no access key pair in ${path}`);
  return { accessKeyId, secretAccessKey };
}
