/**
 * The Store contract (keys, aliases, grants, accounts), once per engine: paging that
 * neither repeats nor misses a row while rows are inserted between pages, unique names,
 * a write that fails rolling back whole, and the revision compare-and-set.
 */
import { it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import type { Page } from "../../src/store/store.ts";
import { describeEachEngine } from "./engines.ts";
import { ACCOUNT, alias, grant, newKey, OTHER_ACCOUNT, REGION, rootAccessKey } from "./fixtures.ts";

/** Every item of a listing, page by page, calling `between` after each page but the last. */
async function allPages<T>(list: (cursor: string | undefined) => Promise<Page<T>>, between: (page: number) => Promise<void>): Promise<T[]> {
  const seen: T[] = [];
  let cursor: string | undefined;
  for (let page = 0; ; page++) {
    const { items, next } = await list(cursor);
    seen.push(...items);
    if (next === undefined) return seen;
    cursor = next;
    await between(page);
  }
}

/** A listing run again and again while writers insert, and what it must hold to (`listWhileWriting`). */
interface ListingUnderWrites<T> {
  /** What is listed, for the messages: "key", "grant". */
  what: string;
  /** One page of the listing after `cursor`. */
  page: (cursor: string | undefined) => Promise<Page<T>>;
  idOf: (item: T) => string;
  /** The ids the writers have had acknowledged so far, in order; `write` appends to it. */
  acknowledged: readonly string[];
  /** Runs the writers to the end. */
  write: () => Promise<unknown>;
}

/**
 * Lists from the first page to the last, again and again while `write` runs (and at least
 * twice), and asserts of every listing that it repeats no id and misses none acknowledged
 * before its last page was read.
 */
async function listWhileWriting<T>({ what, page, idOf, acknowledged, write }: ListingUnderWrites<T>): Promise<void> {
  let writing = true;
  const lister = async () => {
    let listings = 0;
    while (writing || listings < 2) {
      const seen: string[] = [];
      let cursor: string | undefined;
      let ackedBeforeLastPage = 0;
      do {
        ackedBeforeLastPage = acknowledged.length;
        const { items, next } = await page(cursor);
        seen.push(...items.map(idOf));
        cursor = next;
      } while (cursor !== undefined);
      assert.equal(new Set(seen).size, seen.length, `no ${what} is listed twice`);
      const listed = new Set(seen);
      const missed = acknowledged.slice(0, ackedBeforeLastPage).filter((id) => !listed.has(id));
      assert.deepEqual(missed, [], `listing ${listings} missed ${what}s acknowledged before its last page was read`);
      listings++;
    }
  };
  const listing = lister();
  const writers = write().finally(() => {
    writing = false;
  });
  await Promise.all([listing, writers]);
}

describeEachEngine("Store", (databases) => {
  it("listKeys pages in creation order: keys inserted between pages come once, at the end, and none is repeated or missed", async () => {
    const { store } = databases();
    const ids: string[] = [];
    for (let n = 0; n < 7; n++) {
      const key = newKey();
      await store.insertKey(key, undefined);
      ids.push(key.keyId);
    }
    await store.insertKey(newKey(OTHER_ACCOUNT), undefined);
    const seen = await allPages(
      (cursor) => store.listKeys(ACCOUNT, REGION, 3, cursor),
      async () => {
        const key = newKey();
        await store.insertKey(key, undefined);
        ids.push(key.keyId);
      },
    );
    assert.deepEqual(
      seen.map((key) => key.keyId),
      ids,
    );
  });

  it("listKeys under concurrent inserts with staggered commits: a listing repeats no key and misses none acknowledged before its last page was read", async () => {
    const { store } = databases();
    const acknowledged: string[] = [];
    // Batches of 1 to 6 keys, each with a material version written after all the keys: a
    // larger batch takes its places in the order early and commits late, so commits land out
    // of the order of the places they took.
    const writer = async (seed: number) => {
      for (let round = 0; round < 16; round++) {
        const insert = Array.from({ length: 1 + ((seed + round * 5) % 6) }, () => newKey());
        const materials = insert.map((key) => ({ keyId: key.keyId, keyMaterialId: "m1", wrapped: randomBytes(64), createdAtMs: key.createdAtMs }));
        assert.equal(await store.writeKeys({ update: [], insert, delete: [], materials }), true);
        acknowledged.push(...insert.map((key) => key.keyId));
      }
    };
    await listWhileWriting({
      what: "key",
      page: (cursor) => store.listKeys(ACCOUNT, REGION, 2, cursor),
      idOf: (key) => key.keyId,
      acknowledged,
      write: () => Promise.all(Array.from({ length: 8 }, (_, seed) => writer(seed))),
    });
  });

  it("listRetirableGrants under concurrent inserts: a listing repeats no grant and misses none acknowledged before its last page was read", async () => {
    const { store } = databases();
    const key = newKey();
    await store.insertKey(key, undefined);
    const retiring = `arn:aws:iam::${ACCOUNT}:role/retirer`;
    const acknowledged: string[] = [];
    const writer = async () => {
      for (let n = 0; n < 60; n++) {
        const record = grant(key.keyId, retiring);
        await store.insertGrant(record);
        acknowledged.push(record.grantId);
      }
    };
    await listWhileWriting({
      what: "grant",
      page: (cursor) => store.listRetirableGrants(ACCOUNT, REGION, retiring, 3, cursor),
      idOf: (item) => item.grantId,
      acknowledged,
      write: () => Promise.all(Array.from({ length: 8 }, writer)),
    });
  });

  it("listAliases pages by name: no alias twice, every alias there from the start, and those inserted after the cursor", async () => {
    const { store } = databases();
    const key = newKey();
    await store.insertKey(key, undefined);
    const names = ["alias/b", "alias/d", "alias/f", "alias/h", "alias/j"];
    for (const name of names) assert.equal(await store.insertAlias(alias(name, key.keyId)), true);
    // Between pages: one name before everything read so far (not listed any more) and one after (listed).
    const late = ["alias/k", "alias/l"];
    const seen = await allPages(
      (cursor) => store.listAliases(ACCOUNT, REGION, undefined, 2, cursor),
      async (page) => {
        await store.insertAlias(alias(`alias/a${page}`, key.keyId));
        const name = late[page];
        if (name) await store.insertAlias(alias(name, key.keyId));
      },
    );
    assert.deepEqual(
      seen.map((item) => item.aliasName),
      [...names, ...late],
    );
  });

  it("listRetirableGrants pages: grants inserted between pages come once, after the others", async () => {
    const { store } = databases();
    const key = newKey();
    await store.insertKey(key, undefined);
    const retiring = `arn:aws:iam::${ACCOUNT}:role/retirer`;
    const ids: string[] = [];
    for (let n = 0; n < 5; n++) {
      const record = grant(key.keyId, retiring);
      await store.insertGrant(record);
      ids.push(record.grantId);
      await store.insertGrant(grant(key.keyId, `arn:aws:iam::${ACCOUNT}:role/someone-else`));
    }
    const seen = await allPages(
      (cursor) => store.listRetirableGrants(ACCOUNT, REGION, retiring, 2, cursor),
      async () => {
        const record = grant(key.keyId, retiring);
        await store.insertGrant(record);
        ids.push(record.grantId);
      },
    );
    assert.deepEqual(
      seen.map((item) => item.grantId),
      ids,
    );
  });

  it("an alias name is unique per account and region: the second insert is refused and changes nothing", async () => {
    const { store } = databases();
    const [first, second] = [newKey(), newKey()];
    await store.insertKey(first, undefined);
    await store.insertKey(second, undefined);
    assert.equal(await store.insertAlias(alias("alias/taken", first.keyId)), true);
    assert.equal(await store.insertAlias(alias("alias/taken", second.keyId)), false);
    assert.equal((await store.getAlias(ACCOUNT, REGION, "alias/taken"))?.targetKeyId, first.keyId);
    assert.equal(await store.insertAlias(alias("alias/taken", second.keyId, OTHER_ACCOUNT)), true, "another account may use the name");
  });

  it("createAccount of an existing account is refused and writes nothing, its setting included", async () => {
    const { store } = databases();
    assert.equal(await store.createAccount({ accountId: ACCOUNT, createdAtMs: 1 }, rootAccessKey(ACCOUNT)), true);
    const again = rootAccessKey(ACCOUNT);
    assert.equal(await store.createAccount({ accountId: ACCOUNT, createdAtMs: 2 }, again, { name: "default_account", value: ACCOUNT }), false);
    assert.equal((await store.getAccount(ACCOUNT))?.createdAtMs, 1);
    assert.equal(await store.identities.getAccessKey(again.accessKeyId), undefined);
    assert.equal(await store.getSetting("default_account"), undefined);
  });

  it("a write that fails part-way rolls back whole: an account whose root access key id is taken is not created", async () => {
    const { store } = databases();
    const key = rootAccessKey(ACCOUNT);
    await store.createAccount({ accountId: ACCOUNT, createdAtMs: 1 }, key);
    await assert.rejects(store.createAccount({ accountId: OTHER_ACCOUNT, createdAtMs: 1 }, rootAccessKey(OTHER_ACCOUNT, key.accessKeyId), { name: "default_account", value: OTHER_ACCOUNT }));
    assert.equal(await store.getAccount(OTHER_ACCOUNT), undefined);
    assert.equal(await store.getSetting("default_account"), undefined);
    assert.equal((await store.identities.getAccessKey(key.accessKeyId))?.accountId, ACCOUNT);
  });

  it("updateKey is a compare-and-set on the revision: of two writers that read the same revision, the second is refused", async () => {
    const { store } = databases();
    const key = newKey();
    await store.insertKey(key, undefined);
    const stored = await store.getKey(key.keyId);
    assert.equal(stored?.revision, 0);
    assert.equal(await store.updateKey({ ...key, revision: 1, description: "first" }), true);
    assert.equal(await store.updateKey({ ...key, revision: 1, description: "second" }), false);
    assert.deepEqual(await store.getKey(key.keyId), { ...key, revision: 1, description: "first" });
  });
});
