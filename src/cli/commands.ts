/**
 * The commands of `kmsd`, as data: name, one-line summary, options (from config.ts) and
 * what each exit status means. main.ts dispatches through this tree; `--help` and the
 * docs table are rendered from it. A command's code is imported only when it runs, so
 * `--help` and `--version` answer without loading the server.
 */
import { OPTIONS, SEAL_SOURCE_OPTIONS, SERVE_OPTIONS, type OptionSet, type OptionValues } from "../config.ts";
import { COST_OPTIONS, DECRYPT_OPTIONS, ENCRYPT_OPTIONS, ENV_DECRYPT_OPTIONS, ENV_ENCRYPT_OPTIONS, EXEC_OPTIONS } from "../tools/options.ts";
import { parseOptions } from "./parseOptions.ts";

/** A command that runs. */
export interface Command {
  /** The words that name it (`audit verify`). */
  name: string;
  summary: string;
  options: OptionSet;
  /** What the command's own exit statuses mean, beyond the ones every command shares. */
  exitStatus?: Record<number, string>;
  /** Parses its arguments and runs; resolves to the exit status (0 if nothing). */
  run(args: readonly string[], env: NodeJS.ProcessEnv): Promise<number | void>;
}

/** A word that groups subcommands (`account`, `audit`). */
export interface CommandGroup {
  name: string;
  summary: string;
  subcommands: Command[];
}

/** Binds a command's typed runner to its options. */
function command<S extends OptionSet>(spec: Omit<Command, "run" | "options"> & { options: S; run(values: OptionValues<S>): Promise<number | void> }): Command {
  return { ...spec, run: (args, env) => spec.run(parseOptions(spec.options, args, env)) };
}

/** What each exit status means for every command; a command's `exitStatus` says more for its own. */
export const EXIT_STATUS: Record<number, string> = {
  0: "success",
  1: "the command failed",
  2: "bad usage: unknown command or option, missing or invalid value (of a flag or a KMSD_* variable); nothing was changed",
};

/** Every command, in the order help lists them. */
export const COMMANDS: Array<Command | CommandGroup> = [
  command({
    name: "serve",
    summary: "Serve the AWS KMS, IAM, STS and CloudTrail (LookupEvents) APIs.",
    options: SERVE_OPTIONS,
    exitStatus: { 0: "stopped by SIGINT or SIGTERM", 1: "could not start (port taken, data directory unusable; nothing is left behind) or stopped on an error" },
    run: async (config) => (await import("./serve.ts")).serve(config),
  }),
  command({
    name: "init",
    summary: "Check a seed file (--check FILE) without touching a deployment: its shape, then every resource applied to a scratch deployment that is thrown away; kmsd serve --init FILE applies it.",
    options: { check: OPTIONS.seedCheck },
    exitStatus: { 0: "the seed file is valid", 1: "the seed file is not valid (the message names its line)" },
    run: async (values) => (await import("./init.ts")).checkSeedCommand(values),
  }),
  {
    name: "config",
    summary: "Show the configuration kmsd serve runs with.",
    subcommands: [
      {
        name: "config print",
        summary: "Print the effective configuration of `kmsd serve` (flags > KMSD_* variables > --config file > defaults) as YAML, secrets redacted.",
        options: SERVE_OPTIONS,
        // Not through `command`: it needs to know where each value came from, not only the values.
        run: async (args, env) => (await import("./configPrint.ts")).printConfig(SERVE_OPTIONS, args, env),
      },
    ],
  },
  {
    name: "account",
    summary: "Manage accounts.",
    subcommands: [
      command({
        name: "account create",
        summary: "Add an account with a root access key (safe while a server runs on the same data directory).",
        options: { dataDir: OPTIONS.dataDir, databaseUrl: OPTIONS.databaseUrl, id: OPTIONS.accountId, json: OPTIONS.json },
        run: async (values) => (await import("./account.ts")).createAccountCommand(values),
      }),
    ],
  },
  command({
    name: "migrate",
    summary: "Copy a SQLite data directory's keys, identities and audit trail into an empty PostgreSQL database, and check the copy.",
    options: { from: OPTIONS.migrateFrom, to: OPTIONS.migrateTo },
    exitStatus: { 1: "the copy failed (the target is left empty) or its row counts or audit trail do not check out" },
    run: async (values) => (await import("./migrate.ts")).migrate(values),
  }),
  command({
    name: "backup",
    summary: "Write a consistent backup of a data directory, also while a server runs on it (the root key is not in it).",
    options: { dataDir: OPTIONS.dataDir, out: OPTIONS.out },
    run: async (values) => (await import("./backup.ts")).backup(values),
  }),
  command({
    name: "restore",
    summary: "Check a backup file and restore it into a new data directory.",
    options: { from: OPTIONS.restoreFrom, dataDir: OPTIONS.dataDir, rootKey: OPTIONS.restoreRootKey },
    exitStatus: { 1: "the backup is damaged, the root key is not its own, or the directory is not empty" },
    run: async (values) => (await import("./backup.ts")).restore(values),
  }),
  {
    name: "audit",
    summary: "Check and export the audit trail of a data directory (offline or next to a running server).",
    subcommands: [
      command({
        name: "audit verify",
        summary: "Check the audit trail's digests, log files and records, like `aws cloudtrail validate-logs`.",
        options: {
          dataDir: OPTIONS.dataDir,
          databaseUrl: OPTIONS.databaseUrl,
          account: OPTIONS.auditAccount,
          region: OPTIONS.auditRegion,
          start: OPTIONS.auditStart,
          end: OPTIONS.auditEnd,
          json: OPTIONS.json,
        },
        exitStatus: { 1: "a file or record is missing, changed or not valid" },
        run: async (values) => (await import("./audit.ts")).verify(values),
      }),
      command({
        name: "audit export",
        summary: "Write pending events into log and digest files (and copy them with the public key to --out).",
        options: { dataDir: OPTIONS.dataDir, databaseUrl: OPTIONS.databaseUrl, out: OPTIONS.out },
        run: async (values) => (await import("./audit.ts")).exportLogs(values),
      }),
      command({
        name: "audit public-key",
        summary: "Print the public key (PEM) that signs digest files.",
        options: { dataDir: OPTIONS.dataDir, databaseUrl: OPTIONS.databaseUrl },
        run: async (values) => (await import("./audit.ts")).publicKey(values),
      }),
    ],
  },
  {
    name: "operator",
    summary: "The root of trust: create a sealed data directory, unseal or seal a node, move a data directory to a seal (docs/root-of-trust.md).",
    subcommands: [
      command({
        name: "operator init",
        summary: "Create a data directory whose root key is sealed by Shamir shares; print the shares once (stored nowhere) and the default account's root credentials.",
        options: { dataDir: OPTIONS.dataDir, databaseUrl: OPTIONS.databaseUrl, shares: OPTIONS.shares, threshold: OPTIONS.threshold, defaultAccount: OPTIONS.defaultAccount, json: OPTIONS.json },
        run: async (values) => (await import("./operator.ts")).initCommand(values),
      }),
      command({
        name: "operator unseal",
        summary: "Submit one unseal share, read from standard input (never an argument), to a sealed node; print its progress.",
        options: { endpoint: OPTIONS.endpoint },
        exitStatus: { 1: "the share was refused (the node's progress went back to 0) or the node could not be reached" },
        run: async (values) => (await import("./operator.ts")).unsealCommand(values),
      }),
      command({
        name: "operator seal",
        summary: "Seal a running node at once (its root key is zeroed), signed with the default account root's credentials.",
        options: { endpoint: OPTIONS.endpoint, credentialsFile: OPTIONS.credentialsFile },
        run: async (values) => (await import("./operator.ts")).sealCommand(values),
      }),
      command({
        name: "operator status",
        summary: "Print a node's seal status: sealed or not, its mode, the unseal progress.",
        options: { endpoint: OPTIONS.endpoint },
        run: async (values) => (await import("./operator.ts")).statusCommand(values),
      }),
      command({
        name: "operator seal-migrate",
        summary: "Move a data directory from the file mode to shamir, kms or pkcs11 (server stopped); then destroy its root.key.",
        options: {
          dataDir: OPTIONS.dataDir,
          to: OPTIONS.sealMigrateTo,
          shares: OPTIONS.shares,
          threshold: OPTIONS.threshold,
          ...SEAL_SOURCE_OPTIONS,
          json: OPTIONS.json,
        },
        run: async (values) => (await import("./operator.ts")).sealMigrateCommand({ ...values, seal: undefined }),
      }),
      command({
        name: "operator rotate-root",
        summary:
          "Make a new root key and re-wrap every stored secret under it, offline (server stopped) or through --endpoint while the node serves; shamir shares on standard input, one a line; resumable after a crash.",
        options: {
          endpoint: OPTIONS.endpoint,
          credentialsFile: OPTIONS.credentialsFile,
          dataDir: OPTIONS.dataDir,
          databaseUrl: OPTIONS.databaseUrl,
          sealEndpoint: OPTIONS.sealEndpoint,
          sealRegion: OPTIONS.sealRegion,
          pkcs11Module: OPTIONS.pkcs11Module,
          json: OPTIONS.json,
        },
        run: async (values) => (await import("./operator.ts")).rotateRootCommand(values),
      }),
      command({
        name: "operator rekey",
        summary:
          "Replace a running node's unseal shares by a new set for the same root key (the threshold's current shares on standard input, one a line); print the new shares once.",
        options: { endpoint: OPTIONS.endpoint, credentialsFile: OPTIONS.credentialsFile, shares: OPTIONS.shares, threshold: OPTIONS.threshold, json: OPTIONS.json },
        exitStatus: { 1: "a share was refused, or the node could not be reached; the old shares still unseal it" },
        run: async (values) => (await import("./operator.ts")).rekeyCommand(values),
      }),
    ],
  },
  // The tools (src/tools/): KMS clients, so their options are the AWS CLI's, and --key-id and --context repeat: they parse their own arguments from these definitions.
  {
    name: "encrypt",
    summary: "Encrypt a file into an AWS Encryption SDK message that any of the keys can open.",
    options: ENCRYPT_OPTIONS,
    run: async (args) => (await import("../tools/fileCrypto.ts")).encryptCommand(args),
  },
  {
    name: "decrypt",
    summary: "Decrypt an AWS Encryption SDK message (only with the given keys, if any; the given context must match).",
    options: DECRYPT_OPTIONS,
    run: async (args) => (await import("../tools/fileCrypto.ts")).decryptCommand(args),
  },
  {
    name: "env",
    summary: "Encrypt and decrypt the values of dotenv files, names and comments left readable.",
    subcommands: [
      {
        name: "env encrypt",
        summary: "Encrypt each value of the dotenv file on stdin (its name in the encryption context) to stdout.",
        options: ENV_ENCRYPT_OPTIONS,
        run: async (args) => (await import("../tools/envFile.ts")).envEncryptCommand(args),
      },
      {
        name: "env decrypt",
        summary: "Print the plain dotenv file of the encrypted one on stdin.",
        options: ENV_DECRYPT_OPTIONS,
        run: async (args) => (await import("../tools/envFile.ts")).envDecryptCommand(args),
      },
    ],
  },
  {
    name: "exec",
    summary: "Run `-- COMMAND ARGS...` with the decrypted values of an encrypted dotenv file added to its environment (in memory only).",
    options: EXEC_OPTIONS,
    exitStatus: { 0: "the command's own exit status (any), or kmsd dies of the signal that killed the command" },
    run: async (args) => (await import("../tools/exec.ts")).execCommand(args),
  },
  command({
    name: "cost",
    summary: "What the recorded keys and requests would cost on AWS KMS, per account, key and request class.",
    options: COST_OPTIONS,
    run: async (values) => (await import("../tools/cost.ts")).costCommand(values),
  }),
];

/** Every runnable command, groups flattened. */
export function allCommands(): Command[] {
  return COMMANDS.flatMap((entry) => ("subcommands" in entry ? entry.subcommands : [entry]));
}
