/**
 * The `kmsd` command: dispatches to its subcommands. Errors in arguments print a
 * one-line message and exit 2; nothing prints a stack trace at a user.
 */
import { account } from "./account.ts";
import { serve } from "./serve.ts";

const USAGE = `usage: kmsd <command> [options]

commands:
  serve      [--host H] [--port P] [--data-dir DIR] [--default-account ID] [--dev]
             serve the AWS KMS API (defaults: 127.0.0.1:8080, ./data)
  account create --data-dir DIR [--id ACCOUNT] [--json]
             add an account with a root access key
`;

const COMMANDS: Record<string, (args: string[]) => Promise<void>> = { serve, account };

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
    await run(args);
    return 0;
  } catch (error) {
    process.stderr.write(`kmsd ${command}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
