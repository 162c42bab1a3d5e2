/**
 * The dotenv format as the env tools read and write it: one `NAME=value` per line
 * (optionally `export NAME=value`), `#` comments, blank lines; values bare (an inline
 * comment starts at whitespace + `#`), in double quotes (with \n \r \t \" \\ escapes) or
 * in single quotes (literal). Everything that is not a value (comments, blank lines, the
 * order, an inline comment) is kept as written, so an encrypted file reads and diffs like
 * the plain one. Errors name the line, never its text: the text may be a secret.
 */

/** One line of a dotenv file: a variable, or anything else kept verbatim. */
export type DotenvLine =
  | { kind: "text"; text: string }
  | { kind: "variable"; line: number; name: string; value: string; exported: boolean; /** Whitespace and comment after the value, as written. */ trailing: string };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ASSIGNMENT = /^(\s*)(export\s+)?([^=\s]+)\s*=\s*(.*)$/;

/** Parses a dotenv file. */
export function parseDotenv(text: string): DotenvLine[] {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines.map((raw, index) => parseLine(raw.endsWith("\r") ? raw.slice(0, -1) : raw, index + 1));
}

function parseLine(text: string, line: number): DotenvLine {
  const trimmed = text.trim();
  if (trimmed === "" || trimmed.startsWith("#")) return { kind: "text", text };
  const match = ASSIGNMENT.exec(text);
  const name = match?.[3];
  if (!match || name === undefined || !NAME.test(name)) throw new Error(`line ${line}: not a NAME=value assignment`);
  const { value, trailing } = parseValue(match[4] ?? "", line);
  return { kind: "variable", line, name, value, exported: match[2] !== undefined, trailing };
}

function parseValue(text: string, line: number): { value: string; trailing: string } {
  const quote = text[0];
  if (quote === "'" || quote === '"') {
    let value = "";
    for (let i = 1; i < text.length; i++) {
      const char = text[i] as string;
      if (char === quote) return { value, trailing: checkTrailing(text.slice(i + 1), line) };
      if (quote === '"' && char === "\\" && i + 1 < text.length) {
        const next = text[++i] as string;
        value += ESCAPES[next] ?? `\\${next}`;
      } else value += char;
    }
    throw new Error(`line ${line}: the quoted value is not closed (values spanning several lines are not supported)`);
  }
  const comment = /\s+#/.exec(text);
  const bare = comment ? text.slice(0, comment.index) : text;
  return { value: bare.trimEnd(), trailing: text.slice(bare.trimEnd().length) };
}

const ESCAPES: Record<string, string> = { n: "\n", r: "\r", t: "\t", '"': '"', "\\": "\\" };

function checkTrailing(rest: string, line: number): string {
  if (rest.trim() !== "" && !rest.trim().startsWith("#")) throw new Error(`line ${line}: unexpected text after the closing quote`);
  return rest;
}

/**
 * A variable's line: the value bare when it needs no quoting, else in single quotes (which
 * every dotenv reader takes literally: no `$` expansion), else in double quotes with escapes.
 */
export function formatVariable(variable: { name: string; value: string; exported: boolean; trailing: string }): string {
  return `${variable.exported ? "export " : ""}${variable.name}=${quote(variable.value)}${variable.trailing}`;
}

function quote(value: string): string {
  if (/^[A-Za-z0-9_./:@+=,%[\]-]*$/.test(value)) return value;
  if (!/['\n\r\t]/.test(value)) return `'${value}'`;
  return `"${value.replace(/[\\"\n\r\t]/g, (char) => DOUBLE_QUOTED_ESCAPES[char] ?? char)}"`;
}

const DOUBLE_QUOTED_ESCAPES: Record<string, string> = { "\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** The file again, each variable's line rebuilt by `format` and every other line as it was. */
export function formatDotenv(lines: readonly DotenvLine[], format: (variable: Extract<DotenvLine, { kind: "variable" }>) => string): string {
  return lines.map((line) => (line.kind === "text" ? line.text : format(line))).join("\n") + (lines.length > 0 ? "\n" : "");
}
