/**
 * Helpers for the key policy editor: where a JSON syntax error is (line and column), and a
 * readable summary of a policy's statements. The server remains the judge of what is valid.
 */

/** A JSON syntax problem found while typing. */
export interface SyntaxProblem {
  line: number;
  column: number;
  message: string;
}

/** The first JSON syntax error of `text`, with its line, or undefined when it parses. */
export function jsonSyntaxProblem(text: string): SyntaxProblem | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // V8 says "... at position 42 (line 3 column 5)" or only "at position 42".
    const lineColumn = /line (\d+) column (\d+)/.exec(message);
    if (lineColumn) return { line: Number(lineColumn[1]), column: Number(lineColumn[2]), message };
    const position = /position (\d+)/.exec(message);
    const offset = position ? Number(position[1]) : text.length;
    const before = text.slice(0, offset).split("\n");
    return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1, message };
  }
}

/** The line of the policy text where `needle` (a Sid, an action, a quoted value) first appears. */
export function lineOf(text: string, needle: string): number | undefined {
  const index = text.indexOf(needle);
  return index < 0 ? undefined : text.slice(0, index).split("\n").length;
}

/** One statement in plain words. */
export interface StatementSummary {
  sid: string;
  effect: string;
  who: string;
  what: string;
  conditions: boolean;
}

const list = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : value === undefined ? [] : [String(value)]);

function principals(principal: unknown): string {
  if (principal === "*") return "everyone";
  if (principal && typeof principal === "object") {
    return Object.entries(principal as Record<string, unknown>)
      .flatMap(([kind, values]) => list(values).map((value) => (kind === "AWS" ? value : `${kind}: ${value}`)))
      .join(", ");
  }
  return "(no principal)";
}

/** Who may (or may not) do what, statement by statement; empty for text that is not a policy object. */
export function summarizePolicy(text: string): StatementSummary[] {
  let policy: unknown;
  try {
    policy = JSON.parse(text);
  } catch {
    return [];
  }
  const statements = (policy as { Statement?: unknown })?.Statement;
  return (Array.isArray(statements) ? statements : statements ? [statements] : []).map((raw: unknown, index) => {
    const statement = (raw ?? {}) as Record<string, unknown>;
    const who = statement.NotPrincipal !== undefined ? `everyone except ${principals(statement.NotPrincipal)}` : principals(statement.Principal);
    const actions = statement.NotAction !== undefined ? `every action except ${list(statement.NotAction).join(", ")}` : list(statement.Action).join(", ");
    return { sid: typeof statement.Sid === "string" ? statement.Sid : `Statement ${index + 1}`, effect: String(statement.Effect ?? "?"), who, what: actions, conditions: statement.Condition !== undefined };
  });
}
