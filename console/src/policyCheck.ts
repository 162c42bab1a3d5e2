/**
 * The key policy editor's check as you type: JSON syntax, then the very checks the server makes
 * when a key policy is stored (src/authz/policyDocument.ts's parsePolicy, bundled into the
 * console, so the two cannot disagree), with the line of the element at fault. The server still
 * has the last word on save: whether each principal exists, the lockout check and a
 * --resource-quotas keyPolicyBytes other than AWS's 32 KB need its state.
 */
import { parsePolicy } from "../../src/authz/policyDocument.ts";
import { PolicyParseError } from "../../src/authz/errors.ts";
import { jsonLines } from "./jsonLines.ts";
import { jsonSyntaxProblem, lineOf } from "./policyText.ts";

/** Why a policy would be refused, and where. */
export interface PolicyProblem {
  /** Not JSON at all (nothing to send), rather than a policy the server would refuse. */
  syntax: boolean;
  line: number;
  column?: number;
  message: string;
}

/** The first problem the server would find in `text` as a key policy, or undefined. */
export function keyPolicyProblem(text: string): PolicyProblem | undefined {
  const syntax = jsonSyntaxProblem(text);
  if (syntax) return { syntax: true, ...syntax };
  const message = refusal(text);
  return message === undefined ? undefined : { syntax: false, line: problemLine(text, message), message };
}

/** The server's MalformedPolicyDocumentException message for `text`, if parsing refuses it. */
function refusal(text: string): string | undefined {
  try {
    parsePolicy(text, "resource");
    return undefined;
  } catch (error) {
    if (error instanceof PolicyParseError) return error.message;
    throw error;
  }
}

/** Top-level elements that messages about the document name. */
const DOCUMENT_ELEMENTS: [RegExp, string][] = [
  [/^Invalid policy version/, "Version"],
  [/\bId must be\b/, "Id"],
  [/Missing required field Statement|at least one statement/, "Statement"],
];

/** Statement elements that messages about a statement are about, most specific first. */
const STATEMENT_ELEMENTS: [RegExp, string[]][] = [
  [/Unsupported element in a statement: (\w+)/, []],
  [/both (\w+) and (\w+)/, []],
  [/\beffect\b/i, ["Effect"]],
  [/\bprincipal/i, ["Principal", "NotPrincipal"]],
  [/\bactions?\b/i, ["Action", "NotAction"]],
  [/\bresources?\b|prohibited field/i, ["Resource", "NotResource"]],
  [/\bcondition\b/i, ["Condition"]],
  [/\bSid\b/, ["Sid"]],
];

/**
 * The line of what `message` (a PolicyParseError's) is about: the element it names, in the
 * statement that fails on its own with the same message; else a fragment it quotes; else line 1.
 */
export function problemLine(text: string, message: string): number {
  const lines = jsonLines(text);
  const element = /Unsupported element: (\w+)/.exec(message)?.[1];
  if (element && lines.has(element)) return lines.get(element) ?? 1;
  for (const [pattern, name] of DOCUMENT_ELEMENTS) if (pattern.test(message) && lines.has(name)) return lines.get(name) ?? 1;
  if (message.includes("characters that are not allowed")) return lineOf(text, /[^\t\n\r\u0020-\u007e\u00a0-\u00ff]/u.exec(text)?.[0] ?? "") ?? 1;

  const statement = faultyStatement(text, message);
  if (statement !== undefined) {
    for (const [pattern, candidates] of STATEMENT_ELEMENTS) {
      const match = pattern.exec(message);
      if (!match) continue;
      const names = candidates.length > 0 ? candidates : match.slice(1);
      for (const name of names) {
        const line = lines.get(`${statement}/${name}`);
        if (line !== undefined) return quotedLineFrom(text, message, line) ?? line;
      }
    }
    return quotedLineFrom(text, message, lines.get(statement) ?? 1) ?? lines.get(statement) ?? 1;
  }
  // Only the server knows which principals exist: point at the first statement naming an IAM user or role.
  if (message.includes("invalid principals")) {
    const named = /"arn:aws[\w-]*:iam::\d{12}:(?:user|role)\//.exec(text);
    if (named) return text.slice(0, named.index).split("\n").length;
  }
  return quotedLineFrom(text, message, 1) ?? 1;
}

/** The path ("Statement/2") of the statement `message` is about. */
function faultyStatement(text: string, message: string): string | undefined {
  const doc = JSON.parse(text) as { Version?: unknown; Statement?: unknown };
  const single = !Array.isArray(doc.Statement);
  const statements: unknown[] = single ? [doc.Statement] : (doc.Statement as unknown[]);
  const pathOf = (index: number) => (single ? "Statement" : `Statement/${index}`);
  for (const [index, st] of statements.entries()) {
    if (refusal(JSON.stringify({ Version: doc.Version, Statement: [st] })) === message) return pathOf(index);
  }
  return undefined;
}

/** The line, from `fromLine` on, of the first fragment `message` quotes ("..."). */
function quotedLineFrom(text: string, message: string, fromLine: number): number | undefined {
  const start = text.split("\n").slice(0, fromLine - 1).join("\n").length;
  for (const match of message.matchAll(/"([^"]+)"/g)) {
    const index = text.indexOf(JSON.stringify(match[1] ?? "").slice(1, -1), start);
    if (index >= 0) return text.slice(0, index).split("\n").length;
  }
  return undefined;
}
