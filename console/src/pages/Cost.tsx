/**
 * What the signed-in account's usage in this Region would cost on AWS KMS in a month: the
 * figures `kmsd cost` prints, computed by the same code (src/tools/cost, bundled) from the
 * records the public APIs give the user (LookupEvents, ListKeys, DescribeKey,
 * ListKeyRotations), at AWS's list prices. Charts of the cost per key and of the requests
 * per pricing class, and the figures as tables.
 */
import { useState } from "preact/hooks";
import type { AccountCost, CostReport, KeyCost } from "../../../src/tools/cost/compute.ts";
import { dollars } from "../../../src/tools/cost/format.ts";
import { monthReport } from "../../../src/tools/cost/monthReport.ts";
import { AWS_KMS_PRICES, REQUEST_CLASSES } from "../../../src/tools/cost/prices.ts";
import { apiUsageSource } from "../cost/apiUsageSource.ts";
import type { Session } from "../session.ts";
import { ErrorBox, Field, Title, useAction } from "../ui.tsx";
import { NamedBars } from "../components/Charts.tsx";

/** A dollar amount as `kmsd cost --format json` gives it (to the millionth). */
const usd = (amount: number) => `$${dollars(amount).toFixed(6)}`;
/** A dollar amount on a chart's axis: cents, or two significant digits below a cent. */
const usdShort = (amount: number) => `$${amount > 0 && amount < 0.01 ? amount.toPrecision(2) : amount.toFixed(2)}`;

const keyTotal = (key: KeyCost) => key.keyCost + key.rotationCost + key.requestCost;

export function CostPage({ session }: { session: Session }) {
  const [month, setMonth] = useState(new Date().toISOString().slice(0, 7));
  const [report, setReport] = useState<CostReport | undefined>();
  const compute = useAction(async () => {
    setReport(undefined);
    setReport(await monthReport(apiUsageSource(session), month, AWS_KMS_PRICES, Date.now(), session.identity.account));
  });
  const account = report?.accounts[0];
  return (
    <section>
      <Title>Cost</Title>
      <p class="hint">
        What this account's keys and requests in {session.region} would cost on AWS KMS, at AWS's list prices of {AWS_KMS_PRICES.asOf} (
        <a href={AWS_KMS_PRICES.source}>AWS KMS pricing</a>), computed as <code>kmsd cost</code> computes it. The free tier counts this
        Region only.
      </p>
      <form
        class="filters"
        aria-label="Month"
        onSubmit={(e) => {
          e.preventDefault();
          compute.run();
        }}
      >
        <Field label="Month (UTC)">
          <input name="month" type="month" required value={month} onInput={(e) => setMonth(e.currentTarget.value)} />
        </Field>
        <button type="submit" disabled={compute.busy}>Compute cost</button>
      </form>
      <ErrorBox error={compute.error} />
      <p class="status" role="status">{compute.busy ? "Reading keys and the audit trail…" : report ? `Cost of ${report.window.month}` : ""}</p>
      {report && !account ? <p>No keys and no requests in {report.window.month}.</p> : null}
      {report && account ? <Report report={report} account={account} /> : null}
    </section>
  );
}

function Report({ report, account }: { report: CostReport; account: AccountCost }) {
  const covered = new Date(report.window.coveredUntilMs).toISOString();
  return (
    <>
      <dl class="facts" data-testid="cost-summary">
        <dt>Period</dt>
        <dd>{new Date(report.window.startMs).toISOString()} to {covered} ({report.hoursInMonth} hours in the month)</dd>
        <dt>Keys</dt>
        <dd data-testid="cost-keys">{usd(account.keyCost)}</dd>
        <dt>Rotated key material</dt>
        <dd data-testid="cost-rotations">{usd(account.rotationCost)}</dd>
        <dt>Requests</dt>
        <dd data-testid="cost-requests">{usd(account.requestCost)}</dd>
        <dt>Free tier ({account.freeRequests} requests)</dt>
        <dd data-testid="cost-free-tier">-{usd(account.freeTierCredit)}</dd>
        <dt>Total</dt>
        <dd data-testid="cost-total">{usd(account.total)}</dd>
      </dl>
      <NamedBars title="Cost per key (USD)" bars={account.keys.map((key) => ({ label: key.arn ?? "requests naming no key", value: keyTotal(key) }))} limit={20} format={usdShort} />
      <NamedBars title="Requests per pricing class" bars={REQUEST_CLASSES.map((requestClass) => ({ label: requestClass, value: account.requests[requestClass] }))} />
      <table>
        <caption>Cost per key</caption>
        <thead>
          <tr>
            <th scope="col">Key</th><th scope="col">Spec</th><th scope="col">Key hours</th><th scope="col">Key cost</th><th scope="col">Rotated material hours</th>
            <th scope="col">Rotated material cost</th><th scope="col">Requests</th><th scope="col">Requests cost</th>
          </tr>
        </thead>
        <tbody>
          {account.keys.map((key) => (
            <tr key={key.arn ?? "none"}>
              <th scope="row">{key.arn ?? "(requests naming no key)"}{key.arn && !key.customerManaged ? " (AWS managed: free)" : ""}</th>
              <td>{key.keySpec ?? ""}</td>
              <td>{key.keyHours}</td>
              <td>{usd(key.keyCost)}</td>
              <td>{key.rotationHours}</td>
              <td>{usd(key.rotationCost)}</td>
              <td>{REQUEST_CLASSES.filter((requestClass) => key.requests[requestClass] > 0).map((requestClass) => `${key.requests[requestClass]} ${requestClass}`).join(", ")}</td>
              <td>{usd(key.requestCost)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
