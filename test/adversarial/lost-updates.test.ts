/**
 * Adversarial: no acknowledged change is lost when two worker processes change the same
 * key at the same moment. Each client below holds one keep-alive connection whose worker
 * is known (GET /health on that very connection names it), so a "pair" is two calls that
 * really run in two processes at once. Before key records carried a revision, each
 * worker wrote back the whole record it had cached: about half of the acknowledged
 * DisableKey calls of the pair test were undone by a concurrent TagResource.
 */
import assert from "node:assert/strict";
import { Agent, request } from "node:http";
import { after, before, describe, it } from "node:test";
import {
  CreateKeyCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  DisableKeyRotationCommand,
  EnableKeyCommand,
  EnableKeyRotationCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  KMSClient,
  ListKeyRotationsCommand,
  ListResourceTagsCommand,
  PutKeyPolicyCommand,
  RotateKeyOnDemandCommand,
  ScheduleKeyDeletionCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateKeyDescriptionCommand,
} from "@aws-sdk/client-kms";
import { startKmsdWorkers, type Kmsd } from "../support/kmsd.ts";

/** How many racing pairs each pair test fires (the figure for DisableKey vs TagResource). */
const PAIRS = 200;

describe("lost updates between two workers", () => {
  let kmsd: Kmsd;
  const clients: KMSClient[] = [];
  const agents: Agent[] = [];

  /** A client whose one keep-alive connection is served by worker `worker`. */
  async function clientOnWorker(worker: number): Promise<KMSClient> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      if ((await healthWorker(kmsd.endpoint, agent)) === worker) {
        const client = new KMSClient({
          endpoint: kmsd.endpoint,
          region: "us-east-1",
          credentials: kmsd.credentials,
          maxAttempts: 1,
          requestHandler: { httpAgent: agent },
        });
        clients.push(client);
        agents.push(agent);
        return client;
      }
      agent.destroy();
    }
    throw new Error(`no connection reached worker ${worker}`);
  }

  before(async () => {
    kmsd = await startKmsdWorkers(2);
  });
  after(async () => {
    clients.forEach((client) => client.destroy());
    agents.forEach((agent) => agent.destroy());
    await kmsd.dispose();
  });

  /** A change raced against TagResource, and how to tell it survived. */
  interface Racer {
    name: string;
    pairs: number;
    send(client: KMSClient, keyId: string): Promise<unknown>;
    survived(client: KMSClient, keyId: string): Promise<boolean>;
  }
  const POLICY_MARK = "kmsd-lost-update-test";
  const racers: Racer[] = [
    {
      name: "DisableKey",
      pairs: PAIRS,
      send: (client, KeyId) => client.send(new DisableKeyCommand({ KeyId })),
      survived: async (client, KeyId) => (await client.send(new DescribeKeyCommand({ KeyId }))).KeyMetadata?.KeyState === "Disabled",
    },
    {
      name: "ScheduleKeyDeletion",
      pairs: PAIRS / 4,
      send: (client, KeyId) => client.send(new ScheduleKeyDeletionCommand({ KeyId, PendingWindowInDays: 7 })),
      survived: async (client, KeyId) => (await client.send(new DescribeKeyCommand({ KeyId }))).KeyMetadata?.KeyState === "PendingDeletion",
    },
    {
      name: "PutKeyPolicy",
      pairs: PAIRS / 4,
      send: (client, KeyId) => client.send(new PutKeyPolicyCommand({ KeyId, Policy: policyWithMark(kmsd.accountId, POLICY_MARK) })),
      survived: async (client, KeyId) => (await client.send(new GetKeyPolicyCommand({ KeyId }))).Policy?.includes(POLICY_MARK) === true,
    },
  ];

  for (const racer of racers) {
    it(`${racer.name} racing TagResource on another worker: ${racer.pairs} pairs, both changes kept every time`, async (t) => {
      const [first, second] = [await clientOnWorker(0), await clientOnWorker(1)];
      let lostChanges = 0;
      let lostTags = 0;
      for (let pair = 0; pair < racer.pairs; pair++) {
        const keyId = (await first.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId as string;
        // Both workers read the key first, so each holds it in its cache when the race starts.
        await Promise.all([first.send(new DescribeKeyCommand({ KeyId: keyId })), second.send(new DescribeKeyCommand({ KeyId: keyId }))]);
        const tag = { TagKey: "pair", TagValue: String(pair) };
        // Alternate which worker gets which call, so neither side is always first.
        const [changer, tagger] = pair % 2 === 0 ? [first, second] : [second, first];
        // A call may be refused (TagResource after ScheduleKeyDeletion committed: the key is
        // PendingDeletion); only an acknowledged change must survive.
        const [changed, tagged] = await Promise.allSettled([racer.send(changer, keyId), tagger.send(new TagResourceCommand({ KeyId: keyId, Tags: [tag] }))]);
        if (changed.status === "rejected") throw changed.reason;
        if (!(await racer.survived(first, keyId))) lostChanges++;
        const tags = (await first.send(new ListResourceTagsCommand({ KeyId: keyId }))).Tags ?? [];
        if (tagged.status === "fulfilled" && !tags.some((t) => t.TagKey === "pair" && t.TagValue === tag.TagValue)) lostTags++;
      }
      t.diagnostic(`lost updates, ${racer.name} vs TagResource: ${racer.pairs} pairs, ${lostChanges} ${racer.name} lost, ${lostTags} tags lost`);
      assert.deepEqual({ lostChanges, lostTags }, { lostChanges: 0, lostTags: 0 });
    });
  }

  it("EnableKey racing ScheduleKeyDeletion on another worker: an acknowledged deletion is never undone", async (t) => {
    const [first, second] = [await clientOnWorker(0), await clientOnWorker(1)];
    const PAIRS_HERE = PAIRS / 4;
    let undone = 0;
    for (let pair = 0; pair < PAIRS_HERE; pair++) {
      const KeyId = (await first.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId as string;
      await first.send(new DisableKeyCommand({ KeyId }));
      await Promise.all([first.send(new DescribeKeyCommand({ KeyId })), second.send(new DescribeKeyCommand({ KeyId }))]);
      const [scheduler, enabler] = pair % 2 === 0 ? [first, second] : [second, first];
      // EnableKey either runs first (then the key is scheduled) or finds it PendingDeletion and is refused.
      const [scheduled] = await Promise.allSettled([
        scheduler.send(new ScheduleKeyDeletionCommand({ KeyId, PendingWindowInDays: 7 })),
        enabler.send(new EnableKeyCommand({ KeyId })),
      ]);
      assert.equal(scheduled.status, "fulfilled");
      if ((await first.send(new DescribeKeyCommand({ KeyId }))).KeyMetadata?.KeyState !== "PendingDeletion") undone++;
    }
    t.diagnostic(`lost updates, EnableKey vs ScheduleKeyDeletion: ${PAIRS_HERE} pairs, ${undone} deletions undone`);
    assert.equal(undone, 0);
  });

  it("RotateKeyOnDemand on both workers at once never passes the limit of 25", async (t) => {
    const [first, second] = [await clientOnWorker(0), await clientOnWorker(1)];
    const KEYS = 5;
    let overLimit = 0;
    for (let k = 0; k < KEYS; k++) {
      const KeyId = (await first.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId as string;
      for (let i = 0; i < 24; i++) await first.send(new RotateKeyOnDemandCommand({ KeyId }));
      await Promise.all([first.send(new DescribeKeyCommand({ KeyId })), second.send(new DescribeKeyCommand({ KeyId }))]);
      const outcomes = await Promise.allSettled([first.send(new RotateKeyOnDemandCommand({ KeyId })), second.send(new RotateKeyOnDemandCommand({ KeyId }))]);
      const rotations = (await first.send(new ListKeyRotationsCommand({ KeyId }))).Rotations ?? [];
      if (rotations.length > 25) overLimit++;
      assert.equal(outcomes.filter((o) => o.status === "fulfilled").length, 1, "exactly one of the two last rotations is acknowledged");
      assert.equal(rotations.length, 25);
    }
    t.diagnostic(`lost updates, RotateKeyOnDemand at the limit: ${KEYS} keys, ${overLimit} over the limit`);
  });

  it("10 keys changed from 48 connections at once (tags, untags, descriptions, rotation): the final state is exactly what was acknowledged", async (t) => {
    const KEYS = 10;
    const CONNECTIONS = 48;
    const ROUNDS = 5;
    // One at a time: opened all at once, the callers' attempts can fall into step with the
    // primary's round-robin so that one caller meets the same worker on every attempt.
    const connections: KMSClient[] = [];
    for (let i = 0; i < CONNECTIONS; i++) connections.push(await clientOnWorker(i % 2));
    const admin = connections[0] as KMSClient;
    const keyIds: string[] = [];
    for (let k = 0; k < KEYS; k++) keyIds.push((await admin.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId as string);
    // Connection c owns the tag "conn-c" of every key: in round r it sets it to r or removes
    // it, alternately, so the last round decides whether it stays; description and rotation
    // of key k are changed by connection k alone. Every call is in sequence on its own
    // connection and races all the others; the final state is known whatever the order.
    const setsTagIn = (c: number, r: number) => (c + r) % 2 === 0;
    let acknowledged = 0;
    await Promise.all(
      connections.map(async (client, c) => {
        for (let r = 0; r < ROUNDS; r++) {
          for (let k = 0; k < KEYS; k++) {
            const KeyId = keyIds[k] as string;
            const TagKey = `conn-${c}`;
            const calls: Promise<unknown>[] = [
              setsTagIn(c, r)
                ? client.send(new TagResourceCommand({ KeyId, Tags: [{ TagKey, TagValue: String(r) }] }))
                : client.send(new UntagResourceCommand({ KeyId, TagKeys: [TagKey] })),
            ];
            if (c === k) {
              calls.push(client.send(new UpdateKeyDescriptionCommand({ KeyId, Description: `round ${r}` })));
              calls.push(client.send(r % 2 === 0 ? new EnableKeyRotationCommand({ KeyId }) : new DisableKeyRotationCommand({ KeyId })));
            }
            await Promise.all(calls);
            acknowledged += calls.length;
          }
        }
      }),
    );
    const last = ROUNDS - 1;
    let lost = 0;
    for (const KeyId of keyIds) {
      const tags = new Map(((await admin.send(new ListResourceTagsCommand({ KeyId }))).Tags ?? []).map((t) => [t.TagKey, t.TagValue]));
      for (let c = 0; c < CONNECTIONS; c++) if (tags.get(`conn-${c}`) !== (setsTagIn(c, last) ? String(last) : undefined)) lost++;
      if ((await admin.send(new DescribeKeyCommand({ KeyId }))).KeyMetadata?.Description !== `round ${last}`) lost++;
      if ((await admin.send(new GetKeyRotationStatusCommand({ KeyId }))).KeyRotationEnabled !== (last % 2 === 0)) lost++;
    }
    t.diagnostic(`lost updates, mixed: ${KEYS} keys, ${CONNECTIONS} connections, ${acknowledged} acknowledged calls, ${lost} final values lost`);
    assert.equal(lost, 0);
  });
});

/** Which worker answers GET /health on the agent's (single, kept-alive) connection. */
async function healthWorker(endpoint: string, agent: Agent): Promise<number> {
  const url = new URL("/health", endpoint);
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
      res.on("end", () => resolve((JSON.parse(body) as { worker: number }).worker));
    });
    req.on("error", reject);
    req.end();
  });
}

/** The default key policy with a marker in its Sid, so a test can tell whether this policy is the stored one. */
function policyWithMark(accountId: string, mark: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Sid: mark, Effect: "Allow", Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: "kms:*", Resource: "*" }],
  });
}
