/**
 * The `kmsd` command: dispatches to its subcommands. Errors in arguments print a
 * one-line message and exit 2; nothing prints a stack trace at a user.
 */
import { account } from "./account.ts";
import { audit } from "./audit.ts";
import { serve } from "./serve.ts";
import { costCommand } from "../tools/cost.ts";
import { envCommand } from "../tools/envFile.ts";
import { execCommand } from "../tools/exec.ts";
import { decryptCommand, encryptCommand } from "../tools/fileCrypto.ts";

const USAGE = `usage: kmsd <command> [options]

commands:
  serve      [--host H] [--port P] [--data-dir DIR] [--default-account ID] [--dev]
             [--audit on|off] [--audit-retention-days N]
             serve the AWS KMS, IAM, STS and CloudTrail (LookupEvents) APIs (defaults: 127.0.0.1:8080, ./data)
  account create --data-dir DIR [--id ACCOUNT] [--json]
             add an account with a root access key
  audit verify --data-dir DIR [--account ID] [--region R] [--start TIME] [--end TIME] [--json]
             check the audit trail's digests, log files and records (exit 1 if anything changed)
  audit export --data-dir DIR [--out DIR]
             write pending events into log and digest files (and copy them to --out)
  audit public-key --data-dir DIR
             print the public key that signs digest files
  encrypt    --key-id KEY [--key-id KEY...] [--context NAME=VALUE...] --in FILE --out FILE
             encrypt a file into an AWS Encryption SDK message (any of the keys can open it)
  decrypt    --in FILE --out FILE [--key-id KEY...] [--context NAME=VALUE...]
             decrypt an AWS Encryption SDK message (only with the given keys, if any; the context must match)
  env encrypt --key-id KEY [--key-id KEY...] [--context NAME=VALUE...] < .env > .env.kms
             encrypt each value of a dotenv file (its name in the encryption context); names and comments stay readable
  env decrypt [--key-id KEY...] [--context NAME=VALUE...] [--force] < .env.kms
             print the plain file (to a terminal only with --force)
  exec       --env-file .env.kms [--key-id KEY...] [--context NAME=VALUE...] -- COMMAND [ARGS...]
             run COMMAND with the decrypted variables added to its environment (in memory only)
  cost       --data-dir DIR [--month YYYY-MM] [--account ID] [--format table|json|csv] [--prices FILE]
             what the recorded keys and requests would cost on AWS KMS (per account, key and request class)
  (encrypt, decrypt, env and exec are KMS clients: --endpoint-url URL, --region R, --profile P, AWS_* variables as the AWS CLI)
`;

/** A command resolves to its exit status (0 if it returns nothing). */
const COMMANDS: Record<string, (args: string[]) => Promise<void | number>> = { serve, account, audit, encrypt: encryptCommand, decrypt: decryptCommand, env: envCommand, exec: execCommand, cost: costCommand };

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
