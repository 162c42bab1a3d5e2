/**
 * The cost report's arithmetic, pure: a month of usage and a price table in, dollars per
 * account, per key and per request class out. Key time is counted in hours (a started
 * hour counts whole) and a key-month is all the hours of that calendar month.
 */
import { REQUEST_CLASSES, type Prices, type RequestClass } from "./prices.ts";
import type { KeyLife, Usage } from "./usage.ts";

const HOUR_MS = 3_600_000;

/** A calendar month in UTC, and how much of it the records cover. */
export interface ReportWindow {
  month: string;
  startMs: number;
  /** Exclusive. */
  endMs: number;
  /** The end of what the records cover (the month's end, or earlier for a month still running). */
  coveredUntilMs: number;
}

/** What one key cost in the month. */
export interface KeyCost {
  arn: string | undefined;
  region: string | undefined;
  keySpec: string | undefined;
  customerManaged: boolean;
  keyHours: number;
  keyCost: number;
  /** Hours of charged rotated material (each of the first rotations counts on its own). */
  rotationHours: number;
  rotationCost: number;
  requests: Record<RequestClass, number>;
  /** Before the account's free tier. */
  requestCost: number;
}

/** What one account cost in the month. */
export interface AccountCost {
  accountId: string;
  keys: KeyCost[];
  requests: Record<RequestClass, number>;
  keyCost: number;
  rotationCost: number;
  requestCost: number;
  freeRequests: number;
  freeTierCredit: number;
  total: number;
}

/** The whole report. */
export interface CostReport {
  window: ReportWindow;
  prices: Prices;
  hoursInMonth: number;
  accounts: AccountCost[];
  total: number;
}

/** The window of `month` (YYYY-MM) given how far the records reach. */
export function monthWindow(month: string, recordsReachMs: number): ReportWindow {
  const match = /^([0-9]{4})-(0[1-9]|1[0-2])$/.exec(month);
  if (!match) throw new Error(`--month must be YYYY-MM, not '${month}'`);
  const startMs = Date.UTC(Number(match[1]), Number(match[2]) - 1, 1);
  const endMs = Date.UTC(Number(match[1]), Number(match[2]), 1);
  return { month, startMs, endMs, coveredUntilMs: Math.max(startMs, Math.min(endMs, recordsReachMs)) };
}

/** Computes the report of `usage` in `window` at `prices`, for every account or only `accountId`. */
export function computeCost(usage: Usage, window: ReportWindow, prices: Prices, accountId?: string): CostReport {
  const hoursInMonth = (window.endMs - window.startMs) / HOUR_MS;
  const keys = new Map<string, KeyCost & { accountId: string }>();
  const keyOf = (account: string, arn: string | undefined, life?: KeyLife) => {
    const id = `${account} ${arn ?? ""}`;
    let cost = keys.get(id);
    if (!cost) {
      cost = {
        accountId: account,
        arn,
        region: life?.region,
        keySpec: life?.keySpec,
        customerManaged: life?.customerManaged ?? false,
        keyHours: 0,
        keyCost: 0,
        rotationHours: 0,
        rotationCost: 0,
        requests: zeroRequests(),
        requestCost: 0,
      };
      keys.set(id, cost);
    }
    return cost;
  };
  const lives = new Map(usage.keys.map((life) => [life.arn, life]));
  for (const life of usage.keys) {
    if (!life.customerManaged || (accountId !== undefined && life.accountId !== accountId)) continue;
    const billedUntil = Math.min(life.billedUntilMs ?? Number.POSITIVE_INFINITY, window.coveredUntilMs);
    const keyHours = hoursBetween(life.createdMs, billedUntil, window);
    const rotationHours = life.rotationsMs
      .slice(0, prices.chargedRotations)
      .reduce((sum, rotatedMs) => sum + hoursBetween(rotatedMs, billedUntil, window), 0);
    if (keyHours === 0 && rotationHours === 0) continue;
    const cost = keyOf(life.accountId, life.arn, life);
    cost.keyHours = keyHours;
    cost.keyCost = (keyHours / hoursInMonth) * prices.keyMonth;
    cost.rotationHours = rotationHours;
    cost.rotationCost = (rotationHours / hoursInMonth) * prices.rotationMonth;
  }
  for (const tally of usage.requests) {
    if (accountId !== undefined && tally.accountId !== accountId) continue;
    const cost = keyOf(tally.accountId, tally.keyArn, tally.keyArn === undefined ? undefined : lives.get(tally.keyArn));
    cost.requests[tally.requestClass] += tally.count;
    cost.requestCost += (tally.count * prices.per10kRequests[tally.requestClass]) / 10_000;
  }

  const accounts = new Map<string, AccountCost>();
  for (const { accountId: account, ...cost } of [...keys.values()].sort((a, b) => (a.arn ?? "~").localeCompare(b.arn ?? "~"))) {
    const total = accounts.get(account) ?? { accountId: account, keys: [], requests: zeroRequests(), keyCost: 0, rotationCost: 0, requestCost: 0, freeRequests: 0, freeTierCredit: 0, total: 0 };
    total.keys.push(cost);
    for (const requestClass of REQUEST_CLASSES) total.requests[requestClass] += cost.requests[requestClass];
    total.keyCost += cost.keyCost;
    total.rotationCost += cost.rotationCost;
    total.requestCost += cost.requestCost;
    accounts.set(account, total);
  }
  for (const total of accounts.values()) {
    total.freeRequests = Math.min(total.requests.standard, prices.freeRequestsPerMonth);
    total.freeTierCredit = (total.freeRequests * prices.per10kRequests.standard) / 10_000;
    total.total = total.keyCost + total.rotationCost + total.requestCost - total.freeTierCredit;
  }
  const sorted = [...accounts.values()].sort((a, b) => a.accountId.localeCompare(b.accountId));
  return { window, prices, hoursInMonth, accounts: sorted, total: sorted.reduce((sum, account) => sum + account.total, 0) };
}

/** The hours of [fromMs, untilMs) inside the window, a started hour counting whole. */
function hoursBetween(fromMs: number, untilMs: number, window: ReportWindow): number {
  const span = Math.min(untilMs, window.endMs) - Math.max(fromMs, window.startMs);
  return span > 0 ? Math.ceil(span / HOUR_MS) : 0;
}

function zeroRequests(): Record<RequestClass, number> {
  return Object.fromEntries(REQUEST_CLASSES.map((requestClass) => [requestClass, 0])) as Record<RequestClass, number>;
}
