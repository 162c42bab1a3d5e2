/**
 * End to end: `kmsd audit verify` finds every kind of tampering, like `aws cloudtrail
 * validate-logs` and more. A server delivers two hours of log and digest files and keeps
 * some events undelivered; each case then changes a copy of that data directory in one way
 * and expects exactly that change reported (exit status 1), while the untouched copy
 * verifies (exit status 0). Retention prunes old files and the chain then starts at the
 * first kept record, which verification accepts.
 */
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, before, describe, it } from "node:test";
import { gunzipSync, gzipSync } from "node:zlib";
import { LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import { CreateKeyCommand, DescribeKeyCommand, EncryptCommand, ListKeysCommand } from "@aws-sdk/client-kms";
import type { FileFinding, RecordFinding, VerifyReport } from "../src/audit/verify.ts";
import { cloudTrailClient, storedEvents } from "./support/audit.ts";
import { runKmsdCli, startKmsd } from "./support/kmsd.ts";

/** Every file under a directory, relative to it, with forward slashes. */
function filesUnder(root: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(root.length + 1));
}

async function verify(dataDir: string, ...args: string[]): Promise<{ code: number | null; report: VerifyReport }> {
  const { code, stdout, stderr } = await runKmsdCli(["audit", "verify", "--data-dir", dataDir, "--json", ...args]);
  assert.equal(stderr, "");
  return { code, report: JSON.parse(stdout) as VerifyReport };
}

const problems = (report: VerifyReport) => ({
  files: report.files.filter((file) => file.status !== "valid").map((file): Partial<FileFinding> => ({ kind: file.kind, path: file.path, status: file.status })),
  records: report.records.map((record): Partial<RecordFinding> => ({ status: record.status, where: record.where, eventId: record.eventId })),
});

describe("audit trail: tamper evidence", () => {
  const dirs: string[] = [];
  let prepared: string;
  let logs: string[];
  let digests: string[];

  /** A copy of the prepared data directory to tamper with. */
  const copy = () => {
    const dir = mkdtempSync(join(tmpdir(), "kmsd-audit-tamper-"));
    dirs.push(dir);
    cpSync(prepared, dir, { recursive: true });
    return dir;
  };
  const readLog = (dir: string, path: string) => JSON.parse(gunzipSync(readFileSync(join(dir, "audit", path))).toString("utf8")) as { Records: Record<string, unknown>[] };
  const writeLog = (dir: string, path: string, content: { Records: unknown[] }) => writeFileSync(join(dir, "audit", path), gzipSync(JSON.stringify(content)));
  const withDb = (dir: string, body: (db: DatabaseSync) => void) => {
    const db = new DatabaseSync(join(dir, "audit.db"));
    try {
      body(db);
    } finally {
      db.close();
    }
  };

  before(async () => {
    const kmsd = await startKmsd({ dev: true });
    prepared = kmsd.dataDir;
    dirs.push(prepared);
    const kms = kmsd.kms();
    const keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId;
    for (let i = 0; i < 5; i++) await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from(`first hour ${i}`) }));
    await kmsd.advanceClock(3600);
    for (let i = 0; i < 4; i++) await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
    await kmsd.advanceClock(3600);
    for (let i = 0; i < 3; i++) await kms.send(new ListKeysCommand({}));
    await kmsd.stop();
    const all = filesUnder(join(prepared, "audit"));
    logs = all.filter((path) => path.includes("/CloudTrail/")).sort();
    digests = all.filter((path) => path.includes("/CloudTrail-Digest/") && path.endsWith(".json.gz")).sort();
    assert.equal(logs.length, 2, "one log file per hour");
    assert.equal(digests.length, 2, "one digest per hour");
  });
  after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it("an untouched data directory verifies: every digest and log file valid, no record changed, exit 0", async () => {
    const { code, report } = await verify(copy());
    assert.equal(code, 0);
    assert.deepEqual(problems(report), { files: [], records: [] });
    assert.deepEqual(report.files.map((file) => [file.kind, file.status]), [["digest", "valid"], ["digest", "valid"], ["log", "valid"], ["log", "valid"]]);
  });

  const cases: { name: string; tamper: (dir: string) => { files: Partial<FileFinding>[]; records: Partial<RecordFinding>[] } }[] = [
    {
      name: "a record edited in a log file: the file is modified and the record altered",
      tamper: (dir) => {
        const content = readLog(dir, logs[0]!);
        const record = content.Records[2]!;
        record.sourceIPAddress = "203.0.113.9";
        writeLog(dir, logs[0]!, content);
        return { files: [{ kind: "log", path: logs[0], status: "modified" }], records: [{ status: "altered", where: "log file", eventId: String(record.eventID) }] };
      },
    },
    {
      name: "a record inserted into a log file",
      tamper: (dir) => {
        const content = readLog(dir, logs[0]!);
        const forged = { ...content.Records[1]!, eventID: "11111111-2222-4333-8444-555555555555" };
        content.Records.splice(2, 0, forged);
        writeLog(dir, logs[0]!, content);
        return { files: [{ kind: "log", path: logs[0], status: "modified" }], records: [{ status: "inserted", where: "log file", eventId: forged.eventID }] };
      },
    },
    {
      name: "two records of a log file swapped",
      tamper: (dir) => {
        const content = readLog(dir, logs[0]!);
        const [second, third] = [content.Records[1]!, content.Records[2]!];
        content.Records.splice(1, 2, third, second);
        writeLog(dir, logs[0]!, content);
        return { files: [{ kind: "log", path: logs[0], status: "modified" }], records: [{ status: "reordered", where: "log file", eventId: String(third.eventID) }] };
      },
    },
    {
      name: "a record removed from a log file",
      tamper: (dir) => {
        const content = readLog(dir, logs[1]!);
        const [removed] = content.Records.splice(1, 1);
        writeLog(dir, logs[1]!, content);
        return { files: [{ kind: "log", path: logs[1], status: "modified" }], records: [{ status: "removed", where: "log file", eventId: String(removed?.eventID) }] };
      },
    },
    {
      name: "a log file deleted",
      tamper: (dir) => {
        rmSync(join(dir, "audit", logs[1]!));
        return { files: [{ kind: "log", path: logs[1], status: "deleted" }], records: [] };
      },
    },
    {
      name: "a digest file deleted",
      tamper: (dir) => {
        rmSync(join(dir, "audit", digests[0]!));
        return { files: [{ kind: "digest", path: digests[0], status: "deleted" }], records: [] };
      },
    },
    {
      name: "a digest file edited (a log file's hash replaced): its signature fails",
      tamper: (dir) => {
        const path = join(dir, "audit", digests[1]!);
        const digest = JSON.parse(gunzipSync(readFileSync(path)).toString("utf8")) as { logFiles: { hashValue: string }[] };
        digest.logFiles[0]!.hashValue = "0".repeat(64);
        writeFileSync(path, gzipSync(JSON.stringify(digest)));
        return { files: [{ kind: "digest", path: digests[1], status: "modified" }], records: [] };
      },
    },
    {
      name: "the newest digest deleted with its audit.db entry: the records it covered are reported missing",
      tamper: (dir) => {
        rmSync(join(dir, "audit", digests[1]!));
        rmSync(join(dir, "audit", `${digests[1]!}.sig`));
        withDb(dir, (db) => {
          db.prepare("DELETE FROM log_files WHERE digest_id = (SELECT id FROM digests WHERE path = ?)").run(digests[1]!);
          db.prepare("DELETE FROM digests WHERE path = ?").run(digests[1]!);
        });
        return { files: [{ kind: "log", path: logs[1], status: "unlisted" }, { kind: "digest", path: "-", status: "missing" }], records: [] };
      },
    },
    {
      name: "a delivered record altered in audit.db",
      tamper: (dir) => {
        const victim = storedEvents(dir)[3]!;
        withDb(dir, (db) => db.prepare("UPDATE events SET record = replace(record, '\"readOnly\":true', '\"readOnly\":false') WHERE event_id = ?").run(victim.eventId));
        return { files: [], records: [{ status: "altered", where: "database", eventId: victim.eventId }] };
      },
    },
    {
      name: "an undelivered record altered in audit.db",
      tamper: (dir) => {
        const victim = storedEvents(dir).at(-1)!;
        withDb(dir, (db) => db.prepare("UPDATE events SET record = replace(record, 'ListKeys', 'ListAliases') WHERE event_id = ?").run(victim.eventId));
        return { files: [], records: [{ status: "altered", where: "database", eventId: victim.eventId }] };
      },
    },
    {
      name: "an undelivered record deleted from audit.db",
      tamper: (dir) => {
        const victim = storedEvents(dir).at(-2)!;
        withDb(dir, (db) => db.prepare("DELETE FROM events WHERE event_id = ?").run(victim.eventId));
        return { files: [], records: [{ status: "removed", where: "database", eventId: undefined }] };
      },
    },
  ];
  for (const { name, tamper } of cases) {
    it(`${name}; exit 1`, async () => {
      const dir = copy();
      const expected = tamper(dir);
      const { code, report } = await verify(dir);
      assert.equal(code, 1);
      const found = problems(report);
      assert.deepEqual(
        { files: found.files, records: found.records.map((record) => ({ ...record, eventId: expected.records.some((one) => one.eventId === undefined) ? undefined : record.eventId })) },
        expected,
      );
    });
  }

  it("--start and --end restrict verification to the digests and files of that window", async () => {
    const dir = copy();
    const content = readLog(dir, logs[0]!);
    content.Records[0]!.userAgent = "forged";
    writeLog(dir, logs[0]!, content);
    const firstEnd = /_(\d{8}T\d{6}Z)\.json\.gz$/.exec(digests[0]!)?.[1] ?? "";
    const firstEndMs = Date.parse(`${firstEnd.slice(0, 4)}-${firstEnd.slice(4, 6)}-${firstEnd.slice(6, 8)}T${firstEnd.slice(9, 11)}:${firstEnd.slice(11, 13)}:${firstEnd.slice(13, 15)}Z`);
    const iso = (ms: number) => new Date(ms).toISOString();
    assert.equal((await verify(dir, "--start", iso(firstEndMs + 1000))).code, 0, "the second hour alone is intact");
    assert.equal((await verify(dir, "--end", iso(firstEndMs))).code, 1, "the first hour is not");
  });

  it("two exports racing on the same data directory deliver each record once", async () => {
    const dir = copy();
    const [first, second] = await Promise.all([runKmsdCli(["audit", "export", "--data-dir", dir]), runKmsdCli(["audit", "export", "--data-dir", dir])]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(second.code, 0, second.stderr);
    const { code, report } = await verify(dir);
    assert.equal(code, 0, JSON.stringify(problems(report)));
    assert.equal(report.files.filter((file) => file.kind === "digest").length, 3, "one more digest, not two");
  });

  it("--account and --region restrict what is verified", async () => {
    const dir = copy();
    rmSync(join(dir, "audit", logs[0]!));
    const account = storedEvents(dir)[0]!.accountId;
    assert.equal((await verify(dir, "--region", "eu-west-1")).code, 0, "nothing in eu-west-1");
    assert.equal((await verify(dir, "--account", "123456789012")).code, 0, "nothing in another account");
    assert.equal((await verify(dir, "--account", account, "--region", "us-east-1")).code, 1);
  });
});

describe("audit trail: retention", () => {
  it("prunes events and files older than the retention, and the rest still verifies from the first kept record", async () => {
    const kmsd = await startKmsd({ dev: true, args: ["--audit-retention-days", "1"] });
    try {
      const kms = kmsd.kms();
      const keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId;
      await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("old") }));
      const old = storedEvents(kmsd.dataDir).map((event) => event.eventId);
      await kmsd.advanceClock(3600);
      const firstDigests = filesUnder(join(kmsd.dataDir, "audit")).filter((path) => path.includes("CloudTrail-Digest") && path.endsWith(".json.gz"));
      assert.equal(firstDigests.length, 1);
      await kmsd.advanceClock(2 * 86_400);
      await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
      await kmsd.advanceClock(3600);

      const kept = storedEvents(kmsd.dataDir);
      assert.ok(kept.length > 0);
      assert.ok(kept.every((event) => !old.includes(event.eventId)), "the old events are gone from audit.db");
      assert.ok(kept[0]!.seq > old.length, "the chain now starts after the pruned records");
      const files = filesUnder(join(kmsd.dataDir, "audit"));
      assert.ok(!files.includes(firstDigests[0]!), "the old digest is gone");
      const newest = files.filter((path) => path.includes("CloudTrail-Digest") && path.endsWith(".json.gz")).sort().at(-1)!;
      const retention = (JSON.parse(gunzipSync(readFileSync(join(kmsd.dataDir, "audit", newest))).toString("utf8")) as { kmsdRetention: { firstKeptSeq: number; prunedBefore: string } }).kmsdRetention;
      assert.equal(retention.firstKeptSeq, old.length + 1, "the newest digest names the first kept record");
      assert.notEqual(retention.prunedBefore, null);
      const lookedUp = (await cloudTrailClient(kmsd).send(new LookupEventsCommand({ StartTime: new Date(0) }))).Events ?? [];
      assert.ok(lookedUp.every((event) => !old.includes(event.EventId ?? "")), "LookupEvents no longer finds them");
      const verified = await runKmsdCli(["audit", "verify", "--data-dir", kmsd.dataDir]);
      assert.equal(verified.code, 0, verified.stdout);
    } finally {
      await kmsd.dispose();
    }
  });
});
