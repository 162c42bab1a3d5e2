/**
 * The endpoints `--dev` adds beside the API, for tests: `POST /kmsd/dev/clock` moves the
 * server clock forward (and runs what became due), `POST /kmsd/dev/reset` empties every
 * account, or one, back to its first-start state. Neither is an AWS API call: they take
 * JSON, answer JSON, are not signed and are not audited. Without `--dev` they do not exist
 * (their routes are in routes.ts).
 */
import { AwsError, NotFoundException } from "../errors.ts";
import type { Services } from "./context.ts";
import type { ServerHooks } from "./httpServer.ts";

/** One endpoint: the request body in, the JSON answer out; an AwsError is answered in AWS's JSON shape (routes.ts). */
export type DevEndpoint = (body: Buffer, services: Services, hooks: ServerHooks) => Promise<string>;

/**
 * The dev clock goes no further than the end of year 9999: beyond what Date can represent
 * (8.64e15 ms) every request failed, and the room left above it keeps every time kmsd derives
 * from the clock (deletion and rotation dates...) a valid Date with a four-digit year.
 */
const MAX_DEV_CLOCK_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** `{"advanceSeconds": N}` → `{"now": ISO time, "epochSeconds": N}`. */
export async function advanceClock(body: Buffer, services: Services, hooks: ServerHooks): Promise<string> {
  const seconds = jsonMember(body, "advanceSeconds");
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0) {
    throw new AwsError("ValidationException", "advanceSeconds must be a non-negative number of seconds.");
  }
  if (services.clock.nowMs() + seconds * 1000 > MAX_DEV_CLOCK_MS) {
    throw new AwsError("ValidationException", `advanceSeconds would move the clock past ${new Date(MAX_DEV_CLOCK_MS).toISOString()}.`);
  }
  services.clock.advance(seconds);
  await hooks.afterClockAdvance();
  const nowMs = services.clock.nowMs();
  return JSON.stringify({ now: new Date(nowMs).toISOString(), epochSeconds: nowMs / 1000 });
}

/**
 * `{}` (every account) or `{"AccountId": "111122223333"}` → `{"ResetAccounts": [ids]}`. Each
 * account keeps its root's access keys; every worker's caches are emptied before it answers.
 */
export async function resetAccounts(body: Buffer, services: Services): Promise<string> {
  if (body.length > 0 && jsonObject(body) === undefined) throw new AwsError("ValidationException", "The body must be empty or a JSON object.");
  const accountId = jsonMember(body, "AccountId");
  if (accountId !== undefined && typeof accountId !== "string") throw new AwsError("ValidationException", "AccountId must be a string.");
  const ids = accountId === undefined ? await services.store.listAccountIds() : [accountId];
  for (const id of ids) {
    if (!(await services.store.resetAccount(id))) throw new NotFoundException(`Account ${id.slice(0, 64)} does not exist.`);
  }
  services.accessKeys.forgetAllLocally();
  await services.keys.forgetEverywhere();
  return JSON.stringify({ ResetAccounts: ids });
}

/** A member of a JSON object body; undefined if the body is not one or lacks it. */
function jsonMember(body: Buffer, name: string): unknown {
  return jsonObject(body)?.[name];
}

/** The body as a JSON object, if it is one. */
function jsonObject(body: Buffer): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(body.toString("utf8"));
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
