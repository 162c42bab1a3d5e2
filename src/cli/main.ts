/**
 * The `kmsd` command: finds the command in the tree (commands.ts), answers `--help` and
 * `--version`, and runs it. Bad usage prints one line and exits 2; a failing command
 * prints one line and exits 1; nothing prints a stack trace at a user.
 */
import { closest } from "./closest.ts";
import { COMMANDS, type Command, type CommandGroup } from "./commands.ts";
import { commandHelp, groupHelp, mainHelp } from "./help.ts";
import { UsageError } from "./parseOptions.ts";
import { VERSION } from "./version.ts";

/** True if the arguments ask for help (before any `--`, after which nothing is a flag). */
function asksForHelp(args: readonly string[]): boolean {
  const end = args.indexOf("--");
  return (end === -1 ? args : args.slice(0, end)).some((arg) => arg === "-h" || arg === "--help");
}

/** Runs the command line; resolves to the exit status. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [first, ...rest] = argv;
  if (first === "--version") {
    process.stdout.write(`kmsd ${VERSION}\n`);
    return 0;
  }
  if (first === undefined) return usageError("kmsd", "no command given", "kmsd --help");
  if (first === "-h" || first === "--help") return help(mainHelp());
  if (first === "help") return helpFor(rest);
  const entry = COMMANDS.find((candidate) => candidate.name === first);
  if (!entry) return unknownCommand("kmsd", first, COMMANDS.map((candidate) => candidate.name), "kmsd --help");
  const found = "subcommands" in entry ? findSubcommand(entry, rest) : { command: entry, args: rest };
  if (typeof found === "number") return found;
  const { command, args } = found;
  if (asksForHelp(args)) return help(commandHelp(command));
  try {
    return (await command.run(args, env)) ?? 0;
  } catch (error) {
    if (error instanceof UsageError) return usageError(`kmsd ${command.name}`, error.message, `kmsd ${command.name} --help`);
    process.stderr.write(`kmsd ${command.name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

/** The subcommand of a group named by the first argument; or the exit status once help or an error was printed. */
function findSubcommand(group: CommandGroup, args: readonly string[]): { command: Command; args: readonly string[] } | number {
  const [word, ...rest] = args;
  if (word === "-h" || word === "--help") return help(groupHelp(group));
  if (word === undefined) return usageError(`kmsd ${group.name}`, "no command given", `kmsd ${group.name} --help`);
  const names = group.subcommands.map((command) => command.name.slice(group.name.length + 1));
  const command = group.subcommands[names.indexOf(word)];
  if (!command) return unknownCommand(`kmsd ${group.name}`, word, names, `kmsd ${group.name} --help`);
  return { command, args: rest };
}

/** `kmsd help [command...]`: the help of what the words name. */
function helpFor(words: readonly string[]): number {
  const name = words.join(" ");
  const entries = COMMANDS.flatMap((entry) => ("subcommands" in entry ? [entry, ...entry.subcommands] : [entry]));
  const entry = entries.find((candidate) => candidate.name === name);
  if (name === "") return help(mainHelp());
  if (!entry) return unknownCommand("kmsd help", name, entries.map((candidate) => candidate.name), "kmsd --help");
  return help("subcommands" in entry ? groupHelp(entry) : commandHelp(entry));
}

function help(text: string): number {
  process.stdout.write(text);
  return 0;
}

function unknownCommand(where: string, word: string, known: readonly string[], helpCommand: string): number {
  const suggestion = closest(word, known);
  return usageError(where, `unknown command '${word}'${suggestion ? ` (did you mean '${suggestion}'?)` : ""}`, helpCommand);
}

function usageError(where: string, message: string, helpCommand: string): number {
  process.stderr.write(`${where}: ${message}\nRun '${helpCommand}' for usage.\n`);
  return 2;
}
