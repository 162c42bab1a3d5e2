/**
 * `kmsd exec --env-file .env.kms [--key-id KEY...] [--context NAME=VALUE...] -- COMMAND ARGS...`:
 * decrypts the file's values in memory and runs COMMAND with them added to the environment
 * it was started with. Nothing plaintext is written anywhere. kmsd stays as the child's
 * parent only to pass signals on and to end the way the child ended: with its exit status,
 * or killed by the same signal.
 */
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { UsageError } from "../cli/parseOptions.ts";
import { decryptDotenv, envCryptoOptionsOf } from "./envFile.ts";
import { EXEC_OPTIONS, parseToolArgs, stringOf } from "./options.ts";

/** Signals a supervisor passes on (SIGKILL and SIGSTOP cannot be caught, so cannot be). */
const FORWARDED_SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH"];

/** Runs `kmsd exec`; resolves to the child's exit status (or never, when the child was killed by a signal: kmsd then dies of it too). */
export async function execCommand(args: readonly string[]): Promise<number> {
  const separator = args.indexOf("--");
  const [command, ...commandArgs] = separator === -1 ? [] : args.slice(separator + 1);
  if (command === undefined) throw new UsageError("give the command to run after --");
  const values = parseToolArgs(EXEC_OPTIONS, args.slice(0, separator));
  const envFile = stringOf(values, "env-file");
  if (envFile === undefined) throw new UsageError("--env-file is required");
  // The environment kmsd was started with, before a client setting (--profile) touches it.
  const inherited = { ...process.env };
  const { variables } = await decryptDotenv(await readFile(envFile, "utf8"), envCryptoOptionsOf(values));
  const env: NodeJS.ProcessEnv = { ...inherited };
  for (const variable of variables) env[variable.name] = variable.value;
  return runForwardingSignals(command, commandArgs, env);
}

/** Spawns the command on this terminal and passes signals on until it ends. */
async function runForwardingSignals(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const child = spawn(command, args, { env, stdio: "inherit" });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
  try {
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.once("error", reject);
      child.once("exit", (exitCode, exitSignal) => resolve([exitCode, exitSignal]));
    });
    if (signal !== null) {
      // Die of the same signal, so whoever waits for kmsd sees what the child saw.
      for (const forwarded of FORWARDED_SIGNALS) process.off(forwarded, forward);
      process.kill(process.pid, signal);
      await new Promise(() => undefined);
    }
    return code ?? 1;
  } catch (error) {
    throw new Error(`could not start '${command}': ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  } finally {
    for (const signal of FORWARDED_SIGNALS) process.off(signal, forward);
  }
}
