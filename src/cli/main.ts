/**
 * The `kmsd` command: dispatches to its subcommands. Errors in arguments print a
 * one-line message and exit 2; nothing prints a stack trace at a user.
 */
import { account } from "./account.ts";
import { audit } from "./audit.ts";
import { operator } from "./operator.ts";
import { serve } from "./serve.ts";

const USAGE = `usage: kmsd <command> [options]

commands:
  serve      [--host H] [--port P] [--data-dir DIR] [--default-account ID] [--dev]
             [--audit on|off] [--audit-retention-days N]
             [--seal file|shamir|kms|pkcs11] [--seal-key-id ARN] [--seal-endpoint URL] [--seal-region R]
             serve the AWS KMS, IAM, STS and CloudTrail (LookupEvents) APIs (defaults: 127.0.0.1:8080, ./data)
  account create --data-dir DIR [--id ACCOUNT] [--json]
             add an account with a root access key
  audit verify --data-dir DIR [--account ID] [--region R] [--start TIME] [--end TIME] [--json]
             check the audit trail's digests, log files and records (exit 1 if anything changed)
  audit export --data-dir DIR [--out DIR]
             write pending events into log and digest files (and copy them to --out)
  audit public-key --data-dir DIR
             print the public key that signs digest files
  operator init|unseal|seal|status
             the root of trust: create a sealed data directory, unseal or seal a node (docs/root-of-trust.md)
`;

/** A command resolves to its exit status (0 if it returns nothing). */
const COMMANDS: Record<string, (args: string[]) => Promise<void | number>> = { serve, account, audit, operator };

/** Runs the command line. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (command === undefined || command === "help" || command === "--help") {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  const run = COMMANDS[command];
  if (!run) {
    process.stderr.write(`kmsd: unknown command '${command}'\n${USAGE}`);
    return 2;
  }
  try {
    return (await run(args)) ?? 0;
  } catch (error) {
    process.stderr.write(`kmsd ${command}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
