/** `--help` texts, rendered from the command tree and the option definitions. */
import type { OptionDefinition } from "../config.ts";
import { COMMANDS, EXIT_STATUS, type Command, type CommandGroup } from "./commands.ts";
import { VERSION } from "./version.ts";

/** The flag as usage shows it: `--port PORT`, `--audit on|off`, `--dev` (a boolean also takes `--no-dev`, `--dev=false`). */
export function flagUsage(option: OptionDefinition): string {
  if (option.kind === "boolean") return `--${option.flag}`;
  return `--${option.flag} ${option.choices ? option.choices.join("|") : (option.valueName ?? "VALUE")}`;
}

/** The default as help and docs name it, or undefined if there is none. */
export function defaultText(option: OptionDefinition): string | undefined {
  if (option.defaultText !== undefined) return option.defaultText;
  if (option.default === undefined || typeof option.default === "function") return undefined;
  if (typeof option.default === "boolean") return option.default ? "on" : "off";
  return String(option.default);
}

/** `kmsd --help`: every command, how to get more, and the exit statuses. */
export function mainHelp(): string {
  const rows = COMMANDS.flatMap((entry) => ("subcommands" in entry ? entry.subcommands : [entry])).map((command) => [command.name, command.summary]);
  return [
    `kmsd ${VERSION}: a key management service that speaks the AWS KMS API`,
    "",
    "usage: kmsd <command> [options]",
    "",
    "commands:",
    ...table(rows),
    "",
    "  kmsd <command> --help   the command's options, with their KMSD_* variables and defaults",
    "  kmsd --version          the version",
    "",
    exitStatusHelp(EXIT_STATUS),
  ].join("\n");
}

/** `kmsd account --help`: the group's subcommands. */
export function groupHelp(group: CommandGroup): string {
  return [
    `usage: kmsd ${group.name} <${group.subcommands.map((command) => command.name.split(" ").at(-1)).join("|")}> [options]`,
    "",
    group.summary,
    "",
    "commands:",
    ...table(group.subcommands.map((command) => [command.name, command.summary])),
    "",
    `  kmsd ${group.name} <command> --help   the command's options`,
    "",
  ].join("\n");
}

/** `kmsd serve --help`: every option with its variable and default, and the exit statuses. */
export function commandHelp(command: Command): string {
  const options = Object.values(command.options);
  const notes = [
    options.some((option) => option.env !== undefined) && "a flag wins over its KMSD_* variable; an empty variable counts as unset",
    options.some((option) => option.kind === "boolean") && "--no-FLAG or --FLAG=false turns a flag off",
  ].filter(Boolean);
  const rows = options.map((option) => {
    const facts = [option.env, defaultText(option) && `default ${defaultText(option)}`].filter(Boolean).join(", ");
    return [flagUsage(option), facts ? `${option.description}\n${facts}` : option.description];
  });
  return [
    `usage: kmsd ${command.name} [options]`,
    "",
    command.summary,
    "",
    notes.length > 0 ? `options (${notes.join("; ")}):` : "options:",
    ...table([...rows, ["-h, --help", "Show this help."]]),
    "",
    exitStatusHelp({ ...EXIT_STATUS, ...command.exitStatus }),
  ].join("\n");
}

function exitStatusHelp(statuses: Record<number, string>): string {
  return ["exit status:", ...Object.entries(statuses).map(([status, meaning]) => `  ${status}  ${meaning}`), ""].join("\n");
}

/** Two columns; a second-column text with line breaks continues under itself. */
function table(rows: string[][]): string[] {
  const width = Math.max(...rows.map(([first = ""]) => first.length)) + 3;
  return rows.flatMap(([first = "", second = ""]) =>
    second.split("\n").map((line, index) => `  ${(index === 0 ? first : "").padEnd(width)}${line}`.trimEnd()),
  );
}
