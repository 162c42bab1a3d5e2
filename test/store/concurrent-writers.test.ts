/**
 * Conformance, on every engine: no lost updates between two processes. Two kmsd processes
 * (two workers of one node on SQLite; two nodes on one PostgreSQL database) take 1,008
 * interleaved TagResource / UntagResource / UpdateKeyDescription / EnableKeyRotation /
 * DisableKeyRotation / DisableKey / EnableKey / UpdateAlias calls on the same three keys,
 * and afterwards both processes answer exactly what the acknowledged calls left.
 *
 * Each stream of calls owns one piece of state (a tag, a key's description, its rotation,
 * its enabled state, an alias) and runs its calls in sequence on a connection of its own
 * to one of the two processes; the streams race each other on the same key records. So
 * the last acknowledged call of a stream decides its piece, whatever the interleaving,
 * and a refused call (EnableKeyRotation on a key another stream just disabled) changes
 * nothing.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  DisableKeyRotationCommand,
  EnableKeyCommand,
  EnableKeyRotationCommand,
  GetKeyRotationStatusCommand,
  KMSClient,
  KMSServiceException,
  ListAliasesCommand,
  ListResourceTagsCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateAliasCommand,
  UpdateKeyDescriptionCommand,
} from "@aws-sdk/client-kms";
import { startKmsd, startKmsdWorkers, type Credentials } from "../support/kmsd.ts";
import { freshDatabase } from "../support/postgres.ts";

const KEYS = 3;
/** Streams per key: four tag owners, description, rotation, enabled state, alias. */
const STREAMS_PER_KEY = 8;
/** Calls per stream: 3 keys x 8 streams x 42 calls = 1,008 calls. */
const CALLS_PER_STREAM = 42;
/** Refusals a call may meet because of another stream's acknowledged change; anything else fails the test. */
const EXPECTED_REFUSALS = new Set(["DisabledException", "KMSInvalidStateException"]);

/** Two kmsd processes sharing one store, and a connection pinned to either. */
interface TwoProcesses {
  /** A client whose one keep-alive connection reaches process `which` (0 or 1). */
  client(which: 0 | 1): Promise<KMSClient>;
  /** How long a change acknowledged by one process may take to reach the other's answers. */
  propagationMs: number;
  close(): Promise<void>;
}

/** The engines, each as the two processes the test asks for. */
const ENGINES: Array<{ name: string; start(): Promise<TwoProcesses> }> = [
  {
    // SQLite has one node per data directory: its two processes are two workers.
    name: "sqlite",
    async start() {
      const kmsd = await startKmsdWorkers(2);
      const pinned = new PinnedClients();
      return {
        client: (which) => pinned.onWorker(kmsd.endpoint, kmsd.credentials, which),
        propagationMs: 0,
        async close() {
          pinned.destroy();
          await kmsd.dispose();
        },
      };
    },
  },
  {
    name: "postgres",
    async start() {
      const database = await freshDatabase();
      const dataDir = mkdtempSync(join(tmpdir(), "kmsd-pg-writers-"));
      const first = await startKmsd({ dataDir, args: ["--database", database] });
      const second = await startKmsd({ dataDir, args: ["--database", database] });
      const nodes = [first, second] as const;
      const pinned = new PinnedClients();
      return {
        client: async (which) => pinned.add(nodes[which].endpoint, nodes[which].credentials),
        // The bound for a change to reach another node (LISTEN/NOTIFY).
        propagationMs: 1000,
        async close() {
          pinned.destroy();
          for (const node of nodes) await node.stop();
          rmSync(dataDir, { recursive: true, force: true });
        },
      };
    },
  },
];

for (const engine of ENGINES) {
  describe(`concurrent writers in two processes [${engine.name}]`, () => {
    let processes: TwoProcesses;
    before(async () => {
      processes = await engine.start();
    });
    after(async () => {
      await processes.close();
    });

    it("1,008 interleaved calls on three keys from two processes: the final state is exactly what was acknowledged, nothing lost", async (t) => {
      const admin = await processes.client(0);
      const keyIds: string[] = [];
      for (let k = 0; k < KEYS; k++) keyIds.push((await admin.send(new CreateKeyCommand({ Description: "start" }))).KeyMetadata?.KeyId as string);
      const aliasOf = (k: number) => `alias/concurrent-writer-${k}`;
      for (let k = 0; k < KEYS; k++) await admin.send(new CreateAliasCommand({ AliasName: aliasOf(k), TargetKeyId: keyIds[k] }));

      const streams: Stream[] = [];
      for (let k = 0; k < KEYS; k++) {
        const KeyId = keyIds[k] as string;
        for (let tag = 0; tag < 4; tag++) {
          const TagKey = `stream-${tag}`;
          streams.push({
            // Tag streams of one key on both processes, so the key's tag set is written from both at once.
            process: tag % 2 === 0 ? 0 : 1,
            state: `key ${k} tag ${TagKey}`,
            initial: undefined,
            call: (client, i) =>
              i % 3 === 2
                ? attempt(() => client.send(new UntagResourceCommand({ KeyId, TagKeys: [TagKey] })), undefined)
                : attempt(() => client.send(new TagResourceCommand({ KeyId, Tags: [{ TagKey, TagValue: String(i) }] })), String(i)),
          });
        }
        streams.push({
          process: k % 2 === 0 ? 0 : 1,
          state: `key ${k} description`,
          initial: "start",
          call: (client, i) => attempt(() => client.send(new UpdateKeyDescriptionCommand({ KeyId, Description: `call ${i}` })), `call ${i}`),
        });
        streams.push({
          process: k % 2 === 0 ? 1 : 0,
          state: `key ${k} rotation`,
          initial: "false",
          call: (client, i) =>
            i % 2 === 0 ? attempt(() => client.send(new EnableKeyRotationCommand({ KeyId })), "true") : attempt(() => client.send(new DisableKeyRotationCommand({ KeyId })), "false"),
        });
        streams.push({
          process: k % 2 === 0 ? 0 : 1,
          state: `key ${k} state`,
          initial: "Enabled",
          // Mostly enabled, so that the rotation stream is refused now and then, not always.
          call: (client, i) => (i % 4 === 1 ? attempt(() => client.send(new DisableKeyCommand({ KeyId })), "Disabled") : attempt(() => client.send(new EnableKeyCommand({ KeyId })), "Enabled")),
        });
        streams.push({
          process: k % 2 === 0 ? 1 : 0,
          state: `alias ${aliasOf(k)}`,
          initial: KeyId,
          call: (client, i) => {
            const target = keyIds[(k + (i % 2)) % KEYS] as string;
            return attempt(() => client.send(new UpdateAliasCommand({ AliasName: aliasOf(k), TargetKeyId: target })), target);
          },
        });
      }
      assert.equal(streams.length, KEYS * STREAMS_PER_KEY);

      const refusals = new Map<string, number>();
      let acknowledged = 0;
      const clients = await Promise.all(streams.map((stream) => processes.client(stream.process)));
      const last = streams.map((stream) => stream.initial);
      // In rounds: every stream's next call leaves at the same moment, so the eight calls on
      // one key reach both processes together and their read-modify-writes overlap.
      for (let i = 0; i < CALLS_PER_STREAM; i++) {
        const outcomes = await Promise.all(streams.map((stream, s) => stream.call(clients[s] as KMSClient, i)));
        for (const [s, outcome] of outcomes.entries()) {
          if (outcome.acknowledged) {
            acknowledged++;
            last[s] = outcome.value;
          } else {
            refusals.set(outcome.refusal, (refusals.get(outcome.refusal) ?? 0) + 1);
          }
        }
      }
      const expected = new Map(streams.map((stream, s) => [stream.state, last[s]]));
      const calls = streams.length * CALLS_PER_STREAM;
      t.diagnostic(`${engine.name}: ${calls} calls from 2 processes, ${acknowledged} acknowledged, refused: ${JSON.stringify(Object.fromEntries(refusals))}`);
      assert.ok(calls >= 1000);
      for (const name of refusals.keys()) assert.ok(EXPECTED_REFUSALS.has(name), `unexpected refusal ${name}`);

      await new Promise((resolve) => setTimeout(resolve, processes.propagationMs));
      for (const which of [0, 1] as const) {
        const actual = await finalState(await processes.client(which), keyIds, aliasOf);
        const lost = [...expected].filter(([state, value]) => actual.get(state) !== value);
        t.diagnostic(`${engine.name}: process ${which} answers ${lost.length} of ${expected.size} final values differently from the acknowledged calls`);
        assert.deepEqual(lost.map(([state, value]) => ({ state, expected: value, actual: actual.get(state) })), []);
      }
    });
  });
}

/** A sequence of calls that alone decides one piece of state. */
interface Stream {
  process: 0 | 1;
  /** The piece of state, as finalState() names it. */
  state: string;
  initial: string | undefined;
  call(client: KMSClient, i: number): Promise<Outcome>;
}

type Outcome = { acknowledged: true; value: string | undefined } | { acknowledged: false; refusal: string };

/** Makes a call; an AWS client error refuses it (it changed nothing); anything else (a lost connection) fails the test. */
async function attempt(call: () => Promise<unknown>, value: string | undefined): Promise<Outcome> {
  try {
    await call();
    return { acknowledged: true, value };
  } catch (error) {
    if (error instanceof KMSServiceException && error.$fault === "client") return { acknowledged: false, refusal: error.name };
    throw error;
  }
}

/** Every piece of state the streams own, as `client`'s process answers it. */
async function finalState(client: KMSClient, keyIds: readonly string[], aliasOf: (k: number) => string): Promise<Map<string, string | undefined>> {
  const state = new Map<string, string | undefined>();
  const aliases = new Map(((await client.send(new ListAliasesCommand({ Limit: 100 }))).Aliases ?? []).map((a) => [a.AliasName, a.TargetKeyId]));
  for (const [k, KeyId] of keyIds.entries()) {
    const tags = new Map(((await client.send(new ListResourceTagsCommand({ KeyId }))).Tags ?? []).map((tag) => [tag.TagKey, tag.TagValue]));
    for (let tag = 0; tag < 4; tag++) state.set(`key ${k} tag stream-${tag}`, tags.get(`stream-${tag}`));
    const { KeyMetadata } = await client.send(new DescribeKeyCommand({ KeyId }));
    state.set(`key ${k} description`, KeyMetadata?.Description);
    state.set(`key ${k} state`, KeyMetadata?.KeyState);
    state.set(`key ${k} rotation`, String((await client.send(new GetKeyRotationStatusCommand({ KeyId }))).KeyRotationEnabled));
    state.set(`alias ${aliasOf(k)}`, aliases.get(aliasOf(k)));
  }
  return state;
}

/** Clients with one keep-alive connection each, so that every call of a stream reaches the same process. */
class PinnedClients {
  readonly #clients: KMSClient[] = [];
  readonly #agents: Agent[] = [];

  add(endpoint: string, credentials: Credentials, agent = new Agent({ keepAlive: true, maxSockets: 1 })): KMSClient {
    const client = new KMSClient({ endpoint, region: "us-east-1", credentials, maxAttempts: 1, requestHandler: { httpAgent: agent } });
    this.#clients.push(client);
    this.#agents.push(agent);
    return client;
  }

  /** A client whose connection the node's worker `worker` serves (GET /health on that very connection says which). */
  async onWorker(endpoint: string, credentials: Credentials, worker: number): Promise<KMSClient> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      if ((await healthWorker(endpoint, agent)) === worker) return this.add(endpoint, credentials, agent);
      agent.destroy();
    }
    throw new Error(`no connection reached worker ${worker}`);
  }

  destroy(): void {
    this.#clients.forEach((client) => client.destroy());
    this.#agents.forEach((agent) => agent.destroy());
  }
}

/** Which worker answers GET /health on the agent's (single, kept-alive) connection. */
async function healthWorker(endpoint: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(new URL("/health", endpoint), { agent }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
      res.on("end", () => resolve((JSON.parse(body) as { worker: number }).worker));
    });
    req.on("error", reject);
    req.end();
  });
}
