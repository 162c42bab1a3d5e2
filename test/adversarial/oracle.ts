/**
 * What the adversarial suites accept as an answer, their tallies, and the checks each suite
 * ends with (no internal error logged, the audit trail verifies). An answer is
 * acceptable when it is not a 5xx and is shaped as AWS shapes it: for AWS JSON services
 * `{"__type": ..., "message"?: ...}` with a type the operation declares in botocore's model
 * (fixtures/model-errors.json) or one every AWS JSON service may answer; for Query services
 * an `<ErrorResponse>` whose Code is declared or common.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { runKmsdCli, type Kmsd, type RawResponse } from "../support/kmsd.ts";

/** Service → operation → the error codes botocore's model declares for it (wire codes). */
const MODEL_ERRORS = JSON.parse(readFileSync(new URL("./fixtures/model-errors.json", import.meta.url), "utf8")) as Record<
  string,
  Record<string, string[]>
>;

/**
 * Errors any operation of an AWS JSON service may answer (protocol, authentication,
 * throttling), whatever its model lists. UnsupportedOperationException is kmsd's answer for
 * an operation of the model it does not implement; RequestEntityTooLargeException its 413.
 */
export const COMMON_JSON_ERRORS: ReadonlySet<string> = new Set([
  "SerializationException",
  "UnknownOperationException",
  "ValidationException",
  "MissingAuthenticationTokenException",
  "UnrecognizedClientException",
  "InvalidSignatureException",
  "IncompleteSignatureException",
  "ExpiredTokenException",
  "AccessDeniedException",
  "ThrottlingException",
  "RequestEntityTooLargeException",
  "UnsupportedOperationException",
]);

/** The same for Query services (IAM, STS), under their Query codes. InvalidAction also answers an operation kmsd lacks. */
export const COMMON_QUERY_ERRORS: ReadonlySet<string> = new Set([
  "InvalidAction",
  "ValidationError",
  "MissingAuthenticationToken",
  "InvalidClientTokenId",
  "SignatureDoesNotMatch",
  "IncompleteSignature",
  "ExpiredToken",
  "AccessDenied",
  "Throttling",
  "RequestEntityTooLargeException",
]);

/**
 * Errors kmsd answers that the operation's model does not declare, each a deliberate choice
 * whose AWS answer nobody has recorded yet. Listed one by one (not waved through by type) so
 * that a new undeclared answer still fails the fuzzer; remove an entry once it is settled.
 */
const UNDECLARED_BUT_KNOWN: Readonly<Record<string, readonly string[]>> = {
  // `alias/aws/...` in DeleteAlias/UpdateAlias: refused as CreateAlias refuses it (CreateAlias declares it).
  "kms:DeleteAlias": ["InvalidAliasNameException"],
  "kms:UpdateAlias": ["InvalidAliasNameException"],
  // DescribeKey takes GrantTokens but its model lists no InvalidGrantTokenException; kmsd checks the tokens as everywhere else.
  "kms:DescribeKey": ["InvalidGrantTokenException"],
};

/** The error codes `operation` of `service` may answer: its model's and the protocol's common ones. */
export function allowedErrors(service: "kms" | "iam" | "sts" | "cloudtrail", operation: string): ReadonlySet<string> {
  const declared = MODEL_ERRORS[service]?.[operation] ?? [];
  const known = UNDECLARED_BUT_KNOWN[`${service}:${operation}`] ?? [];
  return new Set([...declared, ...known, ...(service === "iam" || service === "sts" ? COMMON_QUERY_ERRORS : COMMON_JSON_ERRORS)]);
}

/** Why a JSON-protocol answer is unacceptable, or undefined if it is fine. `allowed` undefined: any error type. */
export function jsonAnswerProblem(response: RawResponse, allowed: ReadonlySet<string> | undefined): string | undefined {
  if (response.status >= 500) return `status ${response.status}`;
  let body: unknown;
  try {
    body = JSON.parse(response.body);
  } catch {
    return `body is not JSON: ${response.body.slice(0, 200)}`;
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) return `body is not a JSON object: ${response.body.slice(0, 200)}`;
  if (response.status === 200) return undefined;
  const { __type: type, message, ...rest } = body as Record<string, unknown>;
  if (typeof type !== "string") return `error without a string __type: ${response.body.slice(0, 200)}`;
  if (Object.keys(rest).length > 0) return `error body has members besides __type and message: ${Object.keys(rest).join(", ")}`;
  if (message !== undefined && typeof message !== "string") return `error message is not a string`;
  if (allowed && !allowed.has(type)) return `__type ${type} is neither declared for the operation nor common`;
  return undefined;
}

/** Why a Query-protocol answer is unacceptable, or undefined if it is fine. */
export function queryAnswerProblem(response: RawResponse, allowed: ReadonlySet<string>): string | undefined {
  if (response.status >= 500) return `status ${response.status}`;
  if (response.status === 200) return response.body.startsWith("<") ? undefined : `200 without XML: ${response.body.slice(0, 200)}`;
  if (!/^<ErrorResponse[ >]/.test(response.body)) return `error is not an <ErrorResponse>: ${response.body.slice(0, 200)}`;
  const code = /<Code>([^<]*)<\/Code>/.exec(response.body)?.[1];
  if (code === undefined) return "error without a <Code>";
  if (!allowed.has(code)) return `Code ${code} is neither declared for the operation nor common`;
  return undefined;
}

/** The outcome of one answer, for tallies: `200`, `400 ValidationException`, `413 (no body)`... */
export function outcomeOf(response: RawResponse): string {
  if (response.status === 200) return "200";
  const jsonType = /"__type"\s*:\s*"([^"]{1,100})"/.exec(response.body)?.[1];
  const queryCode = /<Code>([^<]{1,100})<\/Code>/.exec(response.body)?.[1];
  const type = jsonType ?? queryCode ?? (response.body === "" ? "(no body)" : "(other body)");
  return `${response.status} ${type}`;
}

/** Counts of named outcomes, printed sorted by count. */
export class Tally {
  readonly #counts = new Map<string, number>();

  add(name: string, by = 1): void {
    this.#counts.set(name, (this.#counts.get(name) ?? 0) + by);
  }

  get(name: string): number {
    return this.#counts.get(name) ?? 0;
  }

  get total(): number {
    let sum = 0;
    for (const count of this.#counts.values()) sum += count;
    return sum;
  }

  /** `title: total` then one line per outcome, most frequent first. */
  lines(title: string): string[] {
    const rows = [...this.#counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    return [`${title}: ${this.total}`, ...rows.map(([name, count]) => `  ${String(count).padStart(6)}  ${name}`)];
  }
}

/** The internal errors a kmsd logged, counted by their first line (the error's message). */
export function internalErrorsLogged(kmsd: Kmsd): Tally {
  const errors = new Tally();
  for (const line of kmsd.stderr().split("\n")) {
    if (!line.includes('"internal error"')) continue;
    errors.add(String((JSON.parse(line) as { error?: unknown }).error).split("\n")[0] ?? "");
  }
  return errors;
}

/** Stops kmsd and asserts that `kmsd audit verify` accepts its data directory. */
export async function stopAndVerifyAudit(kmsd: Kmsd): Promise<void> {
  await kmsd.stop();
  const verified = await runKmsdCli(["audit", "verify", "--data-dir", kmsd.dataDir]);
  assert.equal(verified.code, 0, `kmsd audit verify failed:\n${verified.stdout}\n${verified.stderr}`);
}
