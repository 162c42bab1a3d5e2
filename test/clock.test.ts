/**
 * The dev clock keeps whole milliseconds: a fraction of a second asked for (a test that
 * computes a distance from a fractional epochSeconds) must not make the server's time a
 * fraction, which PostgreSQL's bigint columns refuse.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AdjustableClock } from "../src/clock.ts";

describe("AdjustableClock", () => {
  it("moves by whole milliseconds whatever fraction of a second it is given", () => {
    const clock = new AdjustableClock();
    clock.advance(5_184_000.0059998);
    assert.ok(Number.isInteger(clock.offsetMs), String(clock.offsetMs));
    assert.equal(clock.offsetMs, 5_184_000_006);
    assert.ok(Number.isInteger(clock.nowMs()));
  });

  it("never moves backwards", () => {
    const clock = new AdjustableClock();
    assert.throws(() => clock.advance(-1), RangeError);
  });
});
