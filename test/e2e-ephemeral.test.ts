/**
 * `kmsd serve --ephemeral`: everything in a new temporary directory that is gone once kmsd
 * stops (SIGTERM or SIGINT, one worker or several), credentials printed as on any first start.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { describe, it } from "node:test";
import { CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { BIN, parseListeningLine, type ListeningLine } from "./support/kmsd.ts";

/** Starts an ephemeral kmsd; resolves with its listening line, the credentials it printed and a stop function. */
async function startEphemeral(extra: string[]) {
  const child = spawn(process.execPath, [BIN, "serve", "--ephemeral", "--port", "0", "--log-format", "json", ...extra], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const listening = await new Promise<ListeningLine>((resolve, reject) => {
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
      for (const line of stderr.split("\n")) {
        const parsed = line.endsWith("}") ? parseListeningLine(line) : undefined;
        if (parsed) resolve(parsed);
      }
    });
    child.once("exit", (code) => reject(new Error(`kmsd exited with ${code}:\n${stderr}`)));
  });
  const accessKeyId = /aws_access_key_id\s+= (\S+)/.exec(stdout)?.[1];
  const secretAccessKey = /aws_secret_access_key\s+= (\S+)/.exec(stdout)?.[1];
  assert.ok(accessKeyId && secretAccessKey, `no credentials printed:\n${stdout}`);
  return { listening, credentials: { accessKeyId, secretAccessKey }, stop: (signal: NodeJS.Signals) => (child.kill(signal), exited) };
}

describe("kmsd serve --ephemeral", () => {
  for (const { workers, signal } of [
    { workers: 1, signal: "SIGTERM" },
    { workers: 2, signal: "SIGINT" },
  ] as const) {
    it(`serves from a temporary directory and leaves no file behind (${workers} worker${workers > 1 ? "s" : ""}, ${signal})`, async () => {
      const kmsd = await startEphemeral(["--workers", String(workers), "--data-dir", "/nonexistent/ignored"]);
      const { dataDir, url } = kmsd.listening;
      assert.ok(dataDir.startsWith(tmpdir()) && dataDir.includes("kmsd-ephemeral-"), dataDir);
      assert.ok(existsSync(dataDir));
      const kms = new KMSClient({ endpoint: url, region: "us-east-1", credentials: kmsd.credentials });
      try {
        for (let i = 0; i < 4; i++) await kms.send(new CreateKeyCommand({}));
      } finally {
        kms.destroy();
      }
      assert.equal(await kmsd.stop(signal), 0);
      assert.equal(existsSync(dataDir), false, `${dataDir} is still there`);
    });
  }
});
