/**
 * Group commit of the store's inserts (CreateKey): what concurrent requests submit goes into
 * one commit; a group that fails is tried again one item at a time, so one bad item fails
 * only its own request, except after a timeout of the database, which is not waited out twice.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DependencyTimeoutException } from "../../src/errors.ts";
import { GroupCommit } from "../../src/store/groupCommit.ts";

describe("GroupCommit", () => {
  it("submissions of one turn share one commit, and each is answered after it", async () => {
    const commits: string[][] = [];
    const group = new GroupCommit<string>(async (items) => {
      commits.push([...items]);
    });
    await Promise.all(["a", "b", "c"].map((item) => group.submit(item)));
    assert.deepEqual(commits, [["a", "b", "c"]]);
  });

  it("what arrives while a commit runs goes into the next one", async () => {
    const commits: string[][] = [];
    let release: () => void = () => undefined;
    const group = new GroupCommit<string>(async (items) => {
      commits.push([...items]);
      if (commits.length === 1) await new Promise<void>((resolve) => (release = resolve));
    });
    const first = group.submit("a");
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    const later = [group.submit("b"), group.submit("c")];
    release();
    await Promise.all([first, ...later]);
    assert.deepEqual(commits, [["a"], ["b", "c"]]);
  });

  it("a failed group is tried one item at a time: only the bad item's submitter fails", async () => {
    const group = new GroupCommit<string>(async (items) => {
      if (items.includes("bad")) throw new Error("duplicate key");
    });
    const outcomes = await Promise.allSettled(["a", "bad", "c"].map((item) => group.submit(item)));
    assert.deepEqual(
      outcomes.map((outcome) => outcome.status),
      ["fulfilled", "rejected", "fulfilled"],
    );
  });

  it("after a database timeout every submitter of the group fails at once, with no second try", async () => {
    let commits = 0;
    const group = new GroupCommit<string>(async () => {
      commits += 1;
      throw new DependencyTimeoutException("timed out");
    });
    const outcomes = await Promise.allSettled(["a", "b"].map((item) => group.submit(item)));
    assert.ok(outcomes.every((outcome) => outcome.status === "rejected" && outcome.reason instanceof DependencyTimeoutException));
    assert.equal(commits, 1);
  });
});
