/**
 * The cost report as people read it (table), as programs read it (json) and as
 * spreadsheets read it (csv, one line per charge). Amounts are US dollars: six decimals in
 * json and csv (request prices are fractions of a cent), cents in the table.
 */
import { REQUEST_CLASSES } from "./prices.ts";
import type { AccountCost, CostReport, KeyCost } from "./compute.ts";

/** The output formats of `kmsd cost`. */
export const COST_FORMATS = ["table", "json", "csv"] as const;
export type CostFormat = (typeof COST_FORMATS)[number];

/** Renders a report. */
export function formatCost(report: CostReport, format: CostFormat): string {
  switch (format) {
    case "json":
      return `${JSON.stringify(toJson(report), null, 2)}\n`;
    case "csv":
      return toCsv(report);
    case "table":
      return toTable(report);
  }
}

/** Rounds to a millionth of a dollar, the precision of json and csv. */
export function dollars(amount: number): number {
  return Math.round(amount * 1e6) / 1e6 + 0;
}

function toJson(report: CostReport): unknown {
  const key = (cost: KeyCost) => ({
    keyArn: cost.arn ?? null,
    region: cost.region ?? null,
    keySpec: cost.keySpec ?? null,
    customerManaged: cost.customerManaged,
    keyHours: cost.keyHours,
    keyCost: dollars(cost.keyCost),
    rotationHours: cost.rotationHours,
    rotationCost: dollars(cost.rotationCost),
    requests: cost.requests,
    requestCost: dollars(cost.requestCost),
  });
  const account = (cost: AccountCost) => ({
    accountId: cost.accountId,
    keyCost: dollars(cost.keyCost),
    rotationCost: dollars(cost.rotationCost),
    requests: cost.requests,
    requestCost: dollars(cost.requestCost),
    freeRequests: cost.freeRequests,
    freeTierCredit: dollars(cost.freeTierCredit),
    total: dollars(cost.total),
    keys: cost.keys.map(key),
  });
  return {
    month: report.window.month,
    from: new Date(report.window.startMs).toISOString(),
    coveredUntil: new Date(report.window.coveredUntilMs).toISOString(),
    hoursInMonth: report.hoursInMonth,
    prices: report.prices,
    accounts: report.accounts.map(account),
    total: dollars(report.total),
  };
}

function toCsv(report: CostReport): string {
  const rows: (string | number)[][] = [["month", "account", "key", "item", "quantity", "unit", "amount_usd"]];
  const month = report.window.month;
  for (const account of report.accounts) {
    for (const key of account.keys) {
      const arn = key.arn ?? "";
      if (key.keyHours > 0) rows.push([month, account.accountId, arn, "key", key.keyHours, "key-hours", dollars(key.keyCost)]);
      if (key.rotationHours > 0) rows.push([month, account.accountId, arn, "rotated material", key.rotationHours, "material-hours", dollars(key.rotationCost)]);
      for (const requestClass of REQUEST_CLASSES) {
        const count = key.requests[requestClass];
        if (count > 0) rows.push([month, account.accountId, arn, `requests ${requestClass}`, count, "requests", dollars((count * report.prices.per10kRequests[requestClass]) / 10_000)]);
      }
    }
    if (account.freeRequests > 0) rows.push([month, account.accountId, "", "free tier", account.freeRequests, "requests", dollars(-account.freeTierCredit)]);
    rows.push([month, account.accountId, "", "total", "", "", dollars(account.total)]);
  }
  rows.push([month, "", "", "total", "", "", dollars(report.total)]);
  return rows.map((row) => row.map(csvField).join(",")).join("\n") + "\n";
}

function csvField(value: string | number): string {
  const text = String(value);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function toTable(report: CostReport): string {
  const { window, prices } = report;
  const lines = [
    `AWS KMS cost of ${window.month} (${new Date(window.startMs).toISOString()} to ${new Date(window.coveredUntilMs).toISOString()}), at the prices of ${prices.asOf} (${prices.source})`,
  ];
  if (report.accounts.length === 0) lines.push("", "no keys and no requests");
  for (const account of report.accounts) {
    lines.push("", `account ${account.accountId}`);
    for (const key of account.keys) {
      const requests = REQUEST_CLASSES.filter((requestClass) => key.requests[requestClass] > 0).map((requestClass) => `${key.requests[requestClass]} ${requestClass}`);
      lines.push(`  ${key.arn ?? "(requests naming no key)"}${key.keySpec ? ` ${key.keySpec}` : ""}${key.arn && !key.customerManaged ? " (AWS managed: free)" : ""}`);
      if (key.keyHours > 0) lines.push(row(`key: ${key.keyHours} h of ${report.hoursInMonth}`, key.keyCost));
      if (key.rotationHours > 0) lines.push(row(`rotated material: ${key.rotationHours} h`, key.rotationCost));
      if (requests.length > 0) lines.push(row(`requests: ${requests.join(", ")}`, key.requestCost));
    }
    if (account.freeRequests > 0) lines.push(row(`free tier: ${account.freeRequests} standard requests`, -account.freeTierCredit, "  "));
    lines.push(row(`total of account ${account.accountId}`, account.total, "  "));
  }
  lines.push("", row("total", report.total, ""));
  return `${lines.join("\n")}\n`;
}

function row(label: string, amount: number, indent = "    "): string {
  const text = `${amount < 0 ? "-" : ""}$${Math.abs(amount).toFixed(2)}`;
  return `${indent}${label}`.padEnd(80) + text.padStart(12);
}
