// Issue 18's committed secrets: test/fixtures/seed/app.env.kms was encrypted once under the
// fixed key of docs/seed-file.md's example (alias/app-secrets, context app=shop). In a fresh
// kmsd started with that seed file it decrypts (kmsd env decrypt, kmsd exec); a value moved to
// another name, a revoked grant and a policy that denies one variable each fail with an error
// naming the variable.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CreateGrantCommand, PutKeyPolicyCommand, RevokeGrantCommand } from "@aws-sdk/client-kms";
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient } from "@aws-sdk/client-iam";
import { startKmsd, type Credentials, type Kmsd } from "./support/kmsd.ts";
import { EXAMPLE, writeSeedFile } from "./support/seedFile.ts";
import { runTool, toolEnv, type ToolRun } from "./support/tools.ts";

const FIXTURE = new URL("./fixtures/seed/app.env.kms", import.meta.url).pathname;
const COMMITTED = readFileSync(FIXTURE, "utf8");
const APP_KEY_ARN = `arn:aws:kms:us-east-1:${EXAMPLE.accountId}:key/${EXAMPLE.appKeyId}`;

void describe("a committed .env.kms under the seed file's fixed key", () => {
  let kmsd: Kmsd;
  const tool = (args: string[], input: string, credentials: Credentials = EXAMPLE.ci): Promise<ToolRun> => runTool(args, { env: toolEnv(kmsd, { credentials }), input });
  const valueOf = (name: string) => new RegExp(`^${name}=(.*)$`, "m").exec(COMMITTED)?.[1] ?? "";

  before(async () => {
    kmsd = await startKmsd({ args: ["--init", writeSeedFile()] });
  });
  after(async () => kmsd.dispose());

  void it("decrypts in a fresh run: env decrypt prints the plain file, exec hands the values to the command", async () => {
    const decrypted = await tool(["env", "decrypt", "--context", "app=shop", "--key-id", "alias/app-secrets"], COMMITTED);
    assert.equal(decrypted.code, 0, decrypted.stderr);
    assert.match(decrypted.stdout, /^DB_PASSWORD='correct horse battery staple'$/m);
    assert.match(decrypted.stdout, /^API_TOKEN=tok_live_0123456789$/m);
    const exec = await runTool(
      ["exec", "--env-file", FIXTURE, "--context", "app=shop", "--", process.execPath, "-e", "process.stdout.write(process.env.DB_PASSWORD + '|' + process.env.API_TOKEN)"],
      { env: toolEnv(kmsd, { credentials: EXAMPLE.ci }) },
    );
    assert.equal(exec.code, 0, exec.stderr);
    assert.equal(exec.stdout, "correct horse battery staple|tok_live_0123456789");
  });

  void it("refuses a value moved to another name, naming the variable and its line", async () => {
    const moved = `API_TOKEN=${valueOf("DB_PASSWORD")}\n`;
    const run = await tool(["env", "decrypt"], moved);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^kmsd env decrypt: API_TOKEN \(line 1\): the message's encryption context does not match the required context \('variable' missing or different\)\n$/);
    assert.equal(run.stdout, "");
  });

  void it("names the variable once the grant that allowed decrypting is revoked", async () => {
    const iam = new IAMClient({ endpoint: kmsd.endpoint, region: "us-east-1", credentials: EXAMPLE.root, maxAttempts: 1 });
    let reader: Credentials;
    try {
      await iam.send(new CreateUserCommand({ UserName: "grant-reader" }));
      const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: "grant-reader" }));
      reader = { accessKeyId: AccessKey?.AccessKeyId ?? "", secretAccessKey: AccessKey?.SecretAccessKey ?? "" };
    } finally {
      iam.destroy();
    }
    const kms = kmsd.kms({ credentials: EXAMPLE.root });
    const { GrantId } = await kms.send(
      new CreateGrantCommand({ KeyId: EXAMPLE.appKeyId, GranteePrincipal: `arn:aws:iam::${EXAMPLE.accountId}:user/grant-reader`, Operations: ["Decrypt"] }),
    );
    const allowed = await tool(["env", "decrypt"], COMMITTED, reader);
    assert.equal(allowed.code, 0, allowed.stderr);
    await kms.send(new RevokeGrantCommand({ KeyId: EXAMPLE.appKeyId, GrantId }));
    const run = await tool(["env", "decrypt"], COMMITTED, reader);
    assert.equal(run.code, 1);
    assert.match(run.stderr, new RegExp(`^kmsd env decrypt: DB_PASSWORD \\(line 2\\): KMS Decrypt with ${APP_KEY_ARN} failed: AccessDeniedException: `));
    assert.equal(run.stdout, "");
  });

  void it("names the variable a key policy denies, and exec starts nothing", async () => {
    const denyToken = { Effect: "Deny", Principal: "*", Action: "kms:Decrypt", Resource: "*", Condition: { StringEquals: { "kms:EncryptionContext:variable": "API_TOKEN" } } };
    const root = { Sid: "Enable IAM policies", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${EXAMPLE.accountId}:root` }, Action: "kms:*", Resource: "*" };
    await kmsd.kms({ credentials: EXAMPLE.root }).send(new PutKeyPolicyCommand({ KeyId: EXAMPLE.appKeyId, PolicyName: "default", Policy: JSON.stringify({ Version: "2012-10-17", Statement: [root, denyToken] }) }));
    const run = await tool(["env", "decrypt"], COMMITTED);
    assert.equal(run.code, 1);
    assert.match(run.stderr, new RegExp(`^kmsd env decrypt: API_TOKEN \\(line 3\\): KMS Decrypt with ${APP_KEY_ARN} failed: AccessDeniedException: .*kms:Decrypt`));
    const marker = join(mkdtempSync(join(tmpdir(), "kmsd-seeded-exec-")), "ran");
    const exec = await runTool(["exec", "--env-file", FIXTURE, "--", process.execPath, "-e", `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "x")`], {
      env: toolEnv(kmsd, { credentials: EXAMPLE.ci }),
    });
    assert.equal(exec.code, 1);
    assert.match(exec.stderr, /^kmsd exec: API_TOKEN \(line 3\): /);
    assert.throws(() => readFileSync(marker), { code: "ENOENT" });
  });
});
