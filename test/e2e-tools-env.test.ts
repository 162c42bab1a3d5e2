// `kmsd env encrypt|decrypt` and `kmsd exec` end to end against a built `kmsd serve --dev`:
// dotenv values encrypted one by one with their variable's name in the encryption context
// (a moved value no longer decrypts), names, comments and layout kept; a denied policy or a
// revoked grant named by variable; exec hands the values to a child in memory and passes
// its exit status and signals through.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { buildClient, CommitmentPolicy, KmsKeyringNode } from "@aws-crypto/client-node";
import { CreateGrantCommand, KMS, PutKeyPolicyCommand, RevokeGrantCommand } from "@aws-sdk/client-kms";
import { createKey, type CreatedKey } from "./support/e2e.ts";
import { policy, rootStatement, TestIdentities } from "./support/identities.ts";
import { startKmsd, type Credentials, type Kmsd } from "./support/kmsd.ts";
import { runTool, toolEnv, type ToolRun } from "./support/tools.ts";

const BIN = new URL("../bin/kmsd.mjs", import.meta.url).pathname;

const PLAIN = `# database
DB_HOST=db.internal
DB_PASSWORD="p@ss word # not a comment"   # the password
export API_TOKEN='lit $HOME \\n=x'

EMPTY=
UNICODE="clé \\"quoted\\" \\\\ tab\\tnew\\nline"
`;

/** What decrypting PLAIN's encryption gives back: every value, each line in its canonical spelling. */
const PLAIN_CANONICAL = `# database
DB_HOST=db.internal
DB_PASSWORD='p@ss word # not a comment'   # the password
export API_TOKEN='lit $HOME \\n=x'

EMPTY=
UNICODE="clé \\"quoted\\" \\\\ tab\\tnew\\nline"
`;

const ENCRYPTED_VALUE = /^ENC\[esdk:[A-Za-z0-9+/]+={0,2}\]$/;

void describe("kmsd env and kmsd exec (dotenv files with encrypted values)", () => {
  let kmsd: Kmsd;
  let dir: string;
  let key: CreatedKey;
  let encrypted: string;
  const identities = new TestIdentities(() => kmsd);
  const tool = (args: string[], input = "", credentials?: Credentials): Promise<ToolRun> => runTool(args, { env: toolEnv(kmsd, { credentials }), input });
  const assertSucceeded = (run: ToolRun) => assert.equal(run.code, 0, `exit ${run.code}: ${run.stderr}`);
  const valueOf = (file: string, name: string) => new RegExp(`^(?:export )?${name}=(.*?)(\\s+#.*)?$`, "m").exec(file)?.[1] ?? "";

  before(async () => {
    kmsd = await startKmsd({ dev: true });
    dir = mkdtempSync(join(tmpdir(), "kmsd-tools-env-"));
    key = await createKey(kmsd.kms());
    const run = await tool(["env", "encrypt", "--key-id", key.Arn], PLAIN);
    assertSucceeded(run);
    encrypted = run.stdout;
  });
  after(async () => {
    identities.destroy();
    rmSync(dir, { recursive: true, force: true });
    await kmsd.dispose();
  });

  void it("encrypts every value and keeps names, comments, blank lines and order readable", () => {
    const lines = encrypted.split("\n");
    assert.equal(lines[0], "# database");
    assert.match(lines[1] ?? "", /^DB_HOST=ENC\[/);
    assert.match(lines[2] ?? "", /^DB_PASSWORD=ENC\[esdk:[^\]]+\] {3}# the password$/);
    assert.match(lines[3] ?? "", /^export API_TOKEN=ENC\[/);
    assert.equal(lines[4], "");
    for (const name of ["DB_HOST", "DB_PASSWORD", "API_TOKEN", "EMPTY", "UNICODE"]) assert.match(valueOf(encrypted, name), ENCRYPTED_VALUE, name);
    assert.doesNotMatch(encrypted, /db\.internal|p@ss|HOME|clé/);
  });

  void it("decrypts back to the same file, and each value is an Encryption SDK message bound to its variable's name", async () => {
    const run = await tool(["env", "decrypt"], encrypted);
    assertSucceeded(run);
    assert.equal(run.stdout, PLAIN_CANONICAL);
    // The Encryption SDK used directly reads a value, and finds the variable's name in its context.
    const client = new KMS({ endpoint: kmsd.endpoint, region: "us-east-1", credentials: kmsd.credentials, maxAttempts: 1 });
    try {
      const message = Buffer.from(/^ENC\[esdk:(.*)\]$/.exec(valueOf(encrypted, "DB_PASSWORD"))?.[1] ?? "", "base64");
      const sdk = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
      const { plaintext, messageHeader } = await sdk.decrypt(new KmsKeyringNode({ keyIds: [key.Arn], clientProvider: () => client }), message);
      assert.equal(Buffer.from(plaintext).toString(), "p@ss word # not a comment");
      assert.equal(messageHeader.encryptionContext.variable, "DB_PASSWORD");
      assert.equal(messageHeader.version, 2);
    } finally {
      client.destroy();
    }
  });

  void it("leaves encrypted values as they are when encrypting again, so adding a variable changes one line", async () => {
    const run = await tool(["env", "encrypt", "--key-id", key.Arn], `${encrypted}NEW_SECRET=fresh\n`);
    assertSucceeded(run);
    assert.equal(run.stdout.slice(0, encrypted.length), encrypted);
    assert.match(run.stdout.slice(encrypted.length), /^NEW_SECRET=ENC\[esdk:[^\]]+\]\n$/);
  });

  void it("refuses a value moved to another name, naming the variable and its line", async () => {
    const moved = `DB_HOST=${valueOf(encrypted, "DB_PASSWORD")}\n`;
    const run = await tool(["env", "decrypt"], moved);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^kmsd env decrypt: DB_HOST \(line 1\): the message's encryption context does not match the required context \('variable' missing or different\)\n$/);
    assert.equal(run.stdout, "");
  });

  void it("names the variable a key policy denies (by kms:EncryptionContext:variable) and prints nothing", async () => {
    const guarded = await createKey(kmsd.kms());
    const sealed = await tool(["env", "encrypt", "--key-id", guarded.Arn], "OPEN=1\nDB_PASSWORD=secret\n");
    assertSucceeded(sealed);
    const denyPassword = { Effect: "Deny", Principal: "*", Action: "kms:Decrypt", Resource: "*", Condition: { StringEquals: { "kms:EncryptionContext:variable": "DB_PASSWORD" } } };
    await kmsd.kms().send(new PutKeyPolicyCommand({ KeyId: guarded.KeyId, Policy: policy(rootStatement(kmsd.accountId), denyPassword) }));
    const run = await tool(["env", "decrypt"], sealed.stdout);
    assert.equal(run.code, 1);
    assert.match(run.stderr, new RegExp(`^kmsd env decrypt: DB_PASSWORD \\(line 2\\): KMS Decrypt with ${guarded.Arn} failed: AccessDeniedException: .*kms:Decrypt`));
    assert.equal(run.stdout, "");
  });

  void it("names the variable once the grant that allowed decrypting is revoked", async () => {
    const user = await identities.newUser("env-reader");
    const { GrantId } = await kmsd.kms().send(new CreateGrantCommand({ KeyId: key.KeyId, GranteePrincipal: user.arn, Operations: ["Decrypt"] }));
    assertSucceeded(await tool(["env", "decrypt"], encrypted, user.credentials));
    await kmsd.kms().send(new RevokeGrantCommand({ KeyId: key.KeyId, GrantId }));
    const run = await tool(["env", "decrypt"], encrypted, user.credentials);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^kmsd env decrypt: DB_HOST \(line 2\): KMS Decrypt with arn:aws:kms:[^ ]+ failed: AccessDeniedException: /);
  });

  void it("refuses a line that is not an assignment without echoing it", async () => {
    const run = await tool(["env", "encrypt", "--key-id", key.Arn], "GOOD=1\nsecret-looking garbage\n");
    assert.equal(run.code, 1);
    assert.equal(run.stderr, "kmsd env encrypt: line 2: not a NAME=value assignment\n");
  });

  void it("exec runs the command with the values in its environment and exits with its status", async () => {
    const envFile = join(dir, ".env.kms");
    writeFileSync(envFile, encrypted);
    const before = readdirSync(dir);
    const script = "process.stdout.write(JSON.stringify([process.env.DB_PASSWORD, process.env.UNICODE, process.env.EMPTY, process.env.KEPT])); process.exit(7)";
    const run = await runTool(["exec", "--env-file", envFile, "--", process.execPath, "-e", script], { env: { ...toolEnv(kmsd), KEPT: "inherited" } });
    assert.equal(run.code, 7, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), ["p@ss word # not a comment", 'clé "quoted" \\ tab\tnew\nline', "", "inherited"]);
    assert.deepEqual(readdirSync(dir), before, "nothing written next to the file");
  });

  void it("exec dies of the signal that killed the command, and passes signals it receives on to it", async () => {
    const envFile = join(dir, ".env.kms");
    writeFileSync(envFile, encrypted);
    const killedItself = await runTool(["exec", "--env-file", envFile, "--", process.execPath, "-e", "process.kill(process.pid, 'SIGTERM')"], { env: toolEnv(kmsd) });
    assert.equal(killedItself.signal, "SIGTERM");
    // The command says when it is ready, then answers SIGHUP by exiting 42.
    const child = spawn(process.execPath, [BIN, "exec", "--env-file", envFile, "--", process.execPath, "-e", "process.on('SIGHUP', () => process.exit(42)); console.log('ready'); setInterval(() => {}, 1000)"], {
      env: toolEnv(kmsd),
      stdio: ["ignore", "pipe", "pipe"],
    });
    await new Promise<void>((resolve) => child.stdout.on("data", (chunk: Buffer) => chunk.toString().includes("ready") && resolve()));
    child.kill("SIGHUP");
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    assert.equal(code, 42);
  });

  void it("exec refuses to run anything when a value does not decrypt", async () => {
    const envFile = join(dir, "moved.env.kms");
    writeFileSync(envFile, `DB_HOST=${valueOf(encrypted, "DB_PASSWORD")}\n`);
    const run = await runTool(["exec", "--env-file", envFile, "--", process.execPath, "-e", "console.log('ran')"], { env: toolEnv(kmsd) });
    assert.equal(run.code, 1);
    assert.equal(run.stdout, "");
    assert.match(run.stderr, /^kmsd exec: DB_HOST \(line 1\): /);
  });
});
