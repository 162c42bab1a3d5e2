/**
 * The key-state rules of the transient and waiting states multi-Region keys have
 * (Creating, Updating, PendingReplicaDeletion), checked on the key-state table itself:
 * end to end, Creating and Updating end within the request that started them, so no
 * client can observe them.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assertKeyStateAllows } from "../src/keys/keyStates.ts";
import type { KeyRecord } from "../src/keys/records.ts";

const key = (state: string, stateBeforeUpdate?: string): KeyRecord =>
  ({ keyId: "mrk-0123456789abcdef0123456789abcdef", accountId: "111122223333", region: "eu-west-1", state, stateBeforeUpdate }) as unknown as KeyRecord;
const arn = "arn:aws:kms:eu-west-1:111122223333:key/mrk-0123456789abcdef0123456789abcdef";

/** [state, state before Updating, operation, the error it gets or undefined if allowed]. */
const cases: [string, string | undefined, string, string | undefined][] = [
  // Creating: managed, not yet used (AWS's ReplicateKey documentation).
  ["Creating", undefined, "Encrypt", `KMSInvalidStateException: ${arn} is creating.`],
  ["Creating", undefined, "Sign", `KMSInvalidStateException: ${arn} is creating.`],
  ["Creating", undefined, "TagResource", undefined],
  ["Creating", undefined, "PutKeyPolicy", undefined],
  // Updating: used as in the state it returns to; no change of state, role or rotation meanwhile.
  ["Updating", "Enabled", "Decrypt", undefined],
  ["Updating", "Disabled", "Decrypt", `DisabledException: ${arn} is disabled.`],
  ["Updating", "Enabled", "DisableKey", `KMSInvalidStateException: ${arn} is updating.`],
  ["Updating", "Enabled", "UpdatePrimaryRegion", `KMSInvalidStateException: ${arn} is updating.`],
  ["Updating", "Enabled", "RotateKeyOnDemand", `KMSInvalidStateException: ${arn} is updating.`],
  ["Updating", "Enabled", "TagResource", undefined],
  // PendingReplicaDeletion: as PendingDeletion; only CancelKeyDeletion changes it.
  ["PendingReplicaDeletion", undefined, "Encrypt", `KMSInvalidStateException: ${arn} is pending replica deletion.`],
  ["PendingReplicaDeletion", undefined, "ReplicateKey", `KMSInvalidStateException: ${arn} is pending replica deletion.`],
  ["PendingReplicaDeletion", undefined, "ScheduleKeyDeletion", `KMSInvalidStateException: ${arn} is pending replica deletion.`],
  ["PendingReplicaDeletion", undefined, "CancelKeyDeletion", undefined],
  ["PendingReplicaDeletion", undefined, "DescribeKey", undefined],
];

describe("key states of multi-Region keys", () => {
  for (const [state, before, operation, expected] of cases) {
    it(`${state}${before ? ` (from ${before})` : ""}: ${operation} ${expected ? "is refused" : "is allowed"}`, () => {
      const outcome = (() => {
        try {
          assertKeyStateAllows(operation, key(state, before));
          return undefined;
        } catch (error) {
          return `${(error as Error).name}: ${(error as Error).message}`;
        }
      })();
      assert.equal(outcome, expected);
    });
  }
});
