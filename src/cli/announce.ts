/**
 * What `kmsd serve` tells a person once the server is up: the first start's credentials
 * in a framed block on stdout, then one line per node (not per worker) saying where it
 * listens.
 */
import type { ServeConfig } from "../config.ts";
import type { CreatedAccount } from "../identity/accounts.ts";
import type { SealStatus } from "../seal/nodeSeal.ts";
import { log } from "../server/log.ts";
import type { ListeningLine } from "./listeningLine.ts";
import { DEFAULT_REGION } from "../server/regions.ts";
import { redactedUrl } from "../store/open.ts";
import { VERSION } from "./version.ts";

/** The URL clients use: https with a certificate, IPv6 hosts in brackets. */
export function endpointUrl(host: string, port: number, tls: boolean): string {
  return `${tls ? "https" : "http"}://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/**
 * Logs the one "listening" line of this node: in text the sentence says it all; JSON adds
 * its parts as fields for machines. A sealed node says so, and how it will unseal; its
 * default account is unknown until then.
 */
export function announceListening(config: ServeConfig, port: number, defaultAccount: string | undefined, seal: SealStatus): void {
  const url = endpointUrl(config.host, port, config.tlsCert !== undefined);
  const workers = `${config.workers} worker${config.workers === 1 ? "" : "s"}`;
  const database = config.databaseUrl === undefined ? undefined : redactedUrl(config.databaseUrl);
  const state = seal.sealed ? `sealed (seal mode ${seal.mode}: ${seal.mode === "shamir" ? "kmsd operator unseal" : "retrying the auto-unseal"})` : `default account ${defaultAccount}`;
  const sentence = `kmsd ${VERSION} listening on ${url} (data ${config.dataDir}${database ? `, database ${database}` : ""}, ${state}, ${workers})`;
  if (config.logFormat === "text") return log.info(sentence);
  const fields: Omit<ListeningLine, "message"> = {
    url,
    host: config.host,
    port,
    dataDir: config.dataDir,
    database,
    defaultAccount,
    workers: config.workers,
    version: VERSION,
    seal: seal.mode,
    sealed: seal.sealed,
  };
  log.info(sentence, fields);
}

/**
 * The first start's root credentials, framed, on stdout. `file` is where they were also
 * written and `endpoint` where the server listens; either is missing when the start
 * failed on the way (the block is then the only copy of the secret).
 */
export function printCredentials(created: CreatedAccount, where: { file?: string; endpoint?: string }): void {
  const rule = "=".repeat(78);
  const lines = [
    `==== kmsd: first start ${rule}`.slice(0, rule.length),
    `Created account ${created.AccountId} with a root access key. The secret is shown only here`,
    where.file ? `and in ${where.file} (profile [default]).` : "(the credentials file could not be written).",
    "",
    `  aws_access_key_id     = ${created.AccessKeyId}`,
    `  aws_secret_access_key = ${created.SecretAccessKey}`,
    `  region                = ${DEFAULT_REGION}`,
  ];
  if (where.endpoint) {
    lines.push(
      "",
      "In a shell:",
      `  export AWS_ACCESS_KEY_ID=${created.AccessKeyId}`,
      `  export AWS_SECRET_ACCESS_KEY=${created.SecretAccessKey}`,
      `  export AWS_REGION=${DEFAULT_REGION} AWS_ENDPOINT_URL=${where.endpoint}`,
    );
  }
  process.stdout.write(`${[...lines, rule, ""].join("\n")}`);
}
