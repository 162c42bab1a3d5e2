/**
 * Helpers of the tools suites (`kmsd encrypt|decrypt|env|exec|cost`): run the built kmsd
 * command with a given environment and standard input, and the environment of a KMS
 * client pointed at a test kmsd the way a user would point the AWS CLI at it.
 */
import { spawn } from "node:child_process";
import { awsCliEnv } from "./awsCli.ts";
import type { Credentials, Kmsd } from "./kmsd.ts";

const BIN = new URL("../../bin/kmsd.mjs", import.meta.url).pathname;

/** What a finished command printed and how it ended. */
export interface ToolRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `kmsd ARGS` to completion with exactly `env` (nothing of the test's own environment) and `input` on stdin. */
export async function runTool(args: string[], options: { env: NodeJS.ProcessEnv; input?: string | Buffer; cwd?: string }): Promise<ToolRun> {
  const child = spawn(process.execPath, [BIN, ...args], { env: options.env, cwd: options.cwd, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  child.stdin.end(options.input ?? "");
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once("close", (c, s) => resolve([c, s])));
  return { code, signal, stdout, stderr };
}

/**
 * The environment of a user whose AWS CLI talks to `kmsd`: credentials and Region in AWS_*
 * variables, the endpoint in AWS_ENDPOINT_URL, no config or credentials file of the machine.
 */
export function toolEnv(kmsd: Kmsd, options: { credentials?: Credentials; region?: string } = {}): NodeJS.ProcessEnv {
  return { ...awsCliEnv(options.credentials ?? kmsd.credentials, options.region), AWS_ENDPOINT_URL: kmsd.endpoint, AWS_MAX_ATTEMPTS: "1" };
}

/** A calendar month of the server clock, in epoch seconds, as `kmsd cost --month` names it. */
export interface ScriptedMonth {
  /** The server clock's now when it was chosen. */
  now: number;
  start: number;
  end: number;
  /** YYYY-MM. */
  month: string;
  hours: number;
}

/**
 * The month after next on `kmsd`'s dev clock: all of it lies ahead, so a cost test writes
 * its whole history by moving the clock through it.
 */
export async function monthAfterNext(kmsd: Kmsd): Promise<ScriptedMonth> {
  const now = (await kmsd.advanceClock(0)).epochSeconds;
  const today = new Date(now * 1000);
  const start = Date.UTC(today.getUTCFullYear(), today.getUTCMonth() + 2, 1) / 1000;
  const end = Date.UTC(today.getUTCFullYear(), today.getUTCMonth() + 3, 1) / 1000;
  return { now, start, end, month: new Date(start * 1000).toISOString().slice(0, 7), hours: (end - start) / 3600 };
}
