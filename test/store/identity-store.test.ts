/**
 * The IdentityStore contract, once per engine: names unique without regard to case,
 * paging with inserts between pages, and reads-then-writes (tag limits, version limits)
 * that change nothing when they refuse.
 */
import { it } from "node:test";
import assert from "node:assert/strict";
import { describeEachEngine } from "./engines.ts";
import type { IdentityStore } from "../../src/store/identityStore.ts";
import { ACCOUNT, group, managedPolicy, role, rootAccessKey, user } from "./fixtures.ts";

describeEachEngine("IdentityStore", (databases) => {
  /** The identity store, with ACCOUNT created (identities belong to an account). */
  async function identitiesOfAccount(): Promise<IdentityStore> {
    const { store } = databases();
    await store.createAccount({ accountId: ACCOUNT, createdAtMs: 1 }, rootAccessKey(ACCOUNT));
    return store.identities;
  }

  it("user, group, role and policy names are unique per account without regard to case: the second insert is refused", async () => {
    const identities = await identitiesOfAccount();
    assert.equal(await identities.insertUser(user("Alice")), true);
    assert.equal(await identities.insertUser(user("alice")), false);
    assert.equal(await identities.insertGroup(group("Admins")), true);
    assert.equal(await identities.insertGroup(group("ADMINS")), false);
    assert.equal(await identities.insertRole(role("Deployer")), true);
    assert.equal(await identities.insertRole(role("deployer")), false);
    const first = managedPolicy("ReadOnly");
    const second = managedPolicy("readonly");
    assert.equal(await identities.insertManagedPolicy(first.policy, first.firstVersion), true);
    assert.equal(await identities.insertManagedPolicy(second.policy, second.firstVersion), false);
    assert.equal(await identities.getPolicyVersion(second.policy.policyId, "v1"), undefined, "the refused policy's version was not written");
    assert.equal((await identities.getUser(ACCOUNT, "ALICE"))?.userName, "Alice");
  });

  it("listUsers pages by name with a path prefix: no user twice, none missed, users inserted after the cursor listed", async () => {
    const identities = await identitiesOfAccount();
    const names = ["u01", "u03", "u05", "u07", "u09"];
    for (const name of names) await identities.insertUser(user(name, "/team/"));
    await identities.insertUser(user("u04", "/other/"));
    const seen: string[] = [];
    const late: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; ; page++) {
      const result = await identities.listUsers(ACCOUNT, { pathPrefix: "/team/", limit: 2, ...(cursor === undefined ? {} : { cursor }) });
      seen.push(...result.items.map((item) => item.userName));
      if (result.next === undefined) break;
      cursor = result.next;
      await identities.insertUser(user(`u00-${page}`, "/team/"));
      await identities.insertUser(user(`u10-${page}`, "/team/"));
      late.push(`u10-${page}`);
    }
    assert.equal(new Set(seen).size, seen.length, `no duplicates: ${seen.join(",")}`);
    for (const name of [...names, ...late]) assert.ok(seen.includes(name), `${name} listed`);
    assert.ok(!seen.includes("u04"), "outside the path prefix");
    assert.ok(!seen.some((name) => name.startsWith("u00-")), "inserted before the cursor: not listed");
    assert.deepEqual(seen, [...seen].sort(), "in name order");
  });

  it("a tag merge over the limit is refused and writes nothing", async () => {
    const identities = await identitiesOfAccount();
    const alice = user("alice");
    await identities.insertUser(alice);
    assert.equal(await identities.tagEntity("user", alice.userId, [{ Key: "a", Value: "1" }], 2), "tagged");
    assert.equal(await identities.tagEntity("user", alice.userId, [{ Key: "b", Value: "2" }, { Key: "c", Value: "3" }], 2), "limit");
    assert.deepEqual((await identities.getUserById(alice.userId))?.tags, [{ Key: "a", Value: "1" }]);
    assert.equal(await identities.tagEntity("user", "AIDANOSUCHUSER", [{ Key: "a", Value: "1" }], 2), "missing");
  });

  it("policy versions: numbered after every version ever made, refused at the limit, the default not deletable", async () => {
    const identities = await identitiesOfAccount();
    const { policy, firstVersion } = managedPolicy("Versions");
    await identities.insertManagedPolicy(policy, firstVersion);
    const v2 = await identities.insertPolicyVersion(policy.policyId, "{}", false, 3, 1);
    assert.equal(v2.created?.versionId, "v2");
    assert.equal(await identities.deletePolicyVersion(policy.policyId, "v2"), "deleted");
    assert.equal((await identities.insertPolicyVersion(policy.policyId, "{}", true, 3, 2)).created?.versionId, "v3");
    assert.equal((await identities.insertPolicyVersion(policy.policyId, "{}", false, 3, 3)).created?.versionId, "v4");
    assert.deepEqual(await identities.insertPolicyVersion(policy.policyId, "{}", false, 3, 4), { created: undefined, reason: "limit" });
    assert.deepEqual(
      (await identities.listPolicyVersions(policy.policyId)).map((version) => version.versionId),
      ["v4", "v3", "v1"],
    );
    assert.equal(await identities.deletePolicyVersion(policy.policyId, "v3"), "default");
    assert.equal((await identities.getManagedPolicy(ACCOUNT, "Versions"))?.defaultVersionId, "v3");
  });

  it("concurrent version inserts on one policy each get their own number, and the limit holds", async () => {
    const identities = await identitiesOfAccount();
    const { policy, firstVersion } = managedPolicy("Racing");
    await identities.insertManagedPolicy(policy, firstVersion);
    const outcomes = await Promise.all(Array.from({ length: 8 }, (_, n) => identities.insertPolicyVersion(policy.policyId, "{}", false, 5, n)));
    const created = outcomes.flatMap((outcome) => (outcome.created ? [outcome.created.versionId] : []));
    assert.deepEqual(created.sort(), ["v2", "v3", "v4", "v5"]);
    assert.equal((await identities.listPolicyVersions(policy.policyId)).length, 5);
  });
});
