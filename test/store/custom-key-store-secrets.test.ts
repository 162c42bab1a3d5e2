/**
 * Root key rotation's view of custom key store secrets, once per engine: the proxy secret
 * and the kmsuser password are listed (each with what its additional data names), and a
 * replacement is compare-and-set on the store as read: a write that changed something else
 * (a rename) is kept under it, one that changed the secret or deleted the store wins.
 */
import { it } from "node:test";
import assert from "node:assert/strict";
import type { CustomKeyStoreRecord, NewCustomKeyStoreRecord } from "../../src/keys/customKeyStores.ts";
import type { Store } from "../../src/store/store.ts";
import { describeEachEngine } from "./engines.ts";
import { ACCOUNT, REGION } from "./fixtures.ts";

const OLD_BLOB = Buffer.from("wrapped under generation 1");
const NEW_BLOB = Buffer.from("wrapped under generation 2");

function externalStore(id: string): NewCustomKeyStoreRecord {
  return {
    id,
    accountId: ACCOUNT,
    region: REGION,
    name: `store ${id}`,
    type: "EXTERNAL_KEY_STORE",
    connectionState: "DISCONNECTED",
    createdAtMs: 1_700_000_000_000,
    xks: { uriEndpoint: "https://xks.kmsd.test", uriPath: `/${id}/kms/xks/v1`, connectivity: "PUBLIC_ENDPOINT", accessKeyId: "XKSPROXYUSERAAAAAAAAAA2", wrappedSecret: OLD_BLOB.toString("base64") },
  };
}

function cloudHsmStore(id: string): NewCustomKeyStoreRecord {
  return {
    id,
    accountId: ACCOUNT,
    region: REGION,
    name: `store ${id}`,
    type: "AWS_CLOUDHSM",
    connectionState: "DISCONNECTED",
    createdAtMs: 1_700_000_000_000,
    cloudHsm: { clusterId: `cluster-${id}`, trustAnchorCertificate: "pem", wrappedPassword: OLD_BLOB.toString("base64") },
  };
}

async function stored(store: Store, id: string): Promise<CustomKeyStoreRecord> {
  const record = await store.customKeyStores.get(ACCOUNT, REGION, id);
  assert.ok(record, `store ${id} is there`);
  return record;
}

describeEachEngine("custom key store secrets under root key rotation", (databases) => {
  it("lists each store's secret by kind, named by store id, account and Region, and pages on the store id", async () => {
    const { store } = databases();
    for (const id of ["cks-00000000000000001", "cks-00000000000000002"]) assert.equal(await store.customKeyStores.insert(externalStore(id)), "created");
    assert.equal(await store.customKeyStores.insert(cloudHsmStore("cks-00000000000000003")), "created");

    const proxySecrets = await store.listWrappedSecrets("xks proxy secret", undefined, 1);
    assert.deepEqual(proxySecrets, [{ kind: "xks proxy secret", id: ["cks-00000000000000001", ACCOUNT, REGION], wrapped: OLD_BLOB }]);
    const nextPage = await store.listWrappedSecrets("xks proxy secret", proxySecrets[0]?.id, 10);
    assert.deepEqual(nextPage.map((secret) => secret.id[0]), ["cks-00000000000000002"]);
    const passwords = await store.listWrappedSecrets("kmsuser password", undefined, 10);
    assert.deepEqual(passwords, [{ kind: "kmsuser password", id: ["cks-00000000000000003", ACCOUNT, REGION], wrapped: OLD_BLOB }]);
  });

  it("a replacement keeps a rename written since the read and moves the revision on; a changed secret or a deleted store refuses it", async () => {
    const { store } = databases();
    const renamedId = "cks-0000000000000000a";
    const rekeyedId = "cks-0000000000000000b";
    const deletedId = "cks-0000000000000000c";
    const hsmId = "cks-0000000000000000d";
    for (const id of [renamedId, rekeyedId, deletedId]) await store.customKeyStores.insert(externalStore(id));
    await store.customKeyStores.insert(cloudHsmStore(hsmId));
    const read = [...(await store.listWrappedSecrets("xks proxy secret", undefined, 10)), ...(await store.listWrappedSecrets("kmsuser password", undefined, 10))];

    // Meanwhile: a rename, a new proxy credential, a deletion.
    const renamed = await stored(store, renamedId);
    assert.equal(await store.customKeyStores.update({ ...renamed, name: "renamed", revision: renamed.revision + 1 }), "updated");
    const rekeyed = await stored(store, rekeyedId);
    assert.ok(rekeyed.xks);
    const otherSecret = Buffer.from("a credential set meanwhile").toString("base64");
    assert.equal(await store.customKeyStores.update({ ...rekeyed, xks: { ...rekeyed.xks, wrappedSecret: otherSecret }, revision: rekeyed.revision + 1 }), "updated");
    assert.equal(await store.customKeyStores.delete(await stored(store, deletedId)), "deleted");

    const replaced = await store.replaceWrappedSecrets(read.map((secret) => ({ secret, replacement: NEW_BLOB })));
    assert.equal(replaced, 2, "the renamed store's and the CloudHSM store's");

    const afterRename = await stored(store, renamedId);
    assert.equal(afterRename.name, "renamed");
    assert.equal(afterRename.xks?.wrappedSecret, NEW_BLOB.toString("base64"));
    assert.equal(afterRename.revision, renamed.revision + 2);
    assert.equal((await stored(store, rekeyedId)).xks?.wrappedSecret, otherSecret);
    assert.equal((await stored(store, hsmId)).cloudHsm?.wrappedPassword, NEW_BLOB.toString("base64"));
    assert.equal(await store.customKeyStores.get(ACCOUNT, REGION, deletedId), undefined);

    // A writer that read the store before the replacement loses, as any stale write does.
    assert.equal(await store.customKeyStores.update({ ...renamed, name: "stale", revision: renamed.revision + 1 }), "lost");
  });
});
