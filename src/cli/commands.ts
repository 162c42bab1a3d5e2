/**
 * The commands of `kmsd`, as data: name, one-line summary, options (from config.ts) and
 * what each exit status means. main.ts dispatches through this tree; `--help` and the
 * docs table are rendered from it. A command's code is imported only when it runs, so
 * `--help` and `--version` answer without loading the server.
 */
import { OPTIONS, SERVE_OPTIONS, type OptionSet, type OptionValues } from "../config.ts";
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
        options: { dataDir: OPTIONS.dataDir, id: OPTIONS.accountId, json: OPTIONS.json },
        run: async (values) => (await import("./account.ts")).createAccountCommand(values),
      }),
    ],
  },
  {
    name: "audit",
    summary: "Check and export the audit trail of a data directory (offline or next to a running server).",
    subcommands: [
      command({
        name: "audit verify",
        summary: "Check the audit trail's digests, log files and records, like `aws cloudtrail validate-logs`.",
        options: {
          dataDir: OPTIONS.dataDir,
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
        options: { dataDir: OPTIONS.dataDir, out: OPTIONS.exportOut },
        run: async (values) => (await import("./audit.ts")).exportLogs(values),
      }),
      command({
        name: "audit public-key",
        summary: "Print the public key (PEM) that signs digest files.",
        options: { dataDir: OPTIONS.dataDir },
        run: async (values) => (await import("./audit.ts")).publicKey(values),
      }),
    ],
  },
];

/** Every runnable command, groups flattened. */
export function allCommands(): Command[] {
  return COMMANDS.flatMap((entry) => ("subcommands" in entry ? entry.subcommands : [entry]));
}
