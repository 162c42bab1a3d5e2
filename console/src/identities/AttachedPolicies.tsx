/** An identity's attached managed policies: detach each, attach one of the account's. */
import { useState } from "preact/hooks";
import { ListPoliciesCommand } from "@aws-sdk/client-iam";
import type { Session } from "../session.ts";
import { ErrorBox, Field, useAction, useLoad } from "../ui.tsx";
import type { KindApi } from "./kinds.ts";

export function AttachedPolicies({ session, api, name }: { session: Session; api: KindApi; name: string }) {
  const attached = useLoad(() => api.attached(session.iam, name), [name, session]);
  const available = useLoad(async () => (await session.iam.send(new ListPoliciesCommand({ Scope: "Local" }))).Policies ?? [], [session]);
  const [choice, setChoice] = useState("");
  const change = useAction(async (call: () => Promise<unknown>) => {
    await call();
    attached.reload();
  });
  const attachable = (available.data ?? []).filter((policy) => !(attached.data ?? []).some((a) => a.arn === policy.Arn));
  return (
    <section aria-labelledby="attached-heading">
      <h3 id="attached-heading">Attached managed policies</h3>
      <ErrorBox error={attached.error ?? available.error ?? change.error} />
      <ul class="plain">
        {(attached.data ?? []).map((policy) => (
          <li key={policy.arn}>
            <code>{policy.arn}</code>
            <button type="button" class="danger" onClick={() => change.run(() => api.detach(session.iam, name, policy.arn))}>Detach {policy.name}</button>
          </li>
        ))}
      </ul>
      {attached.data?.length === 0 ? <p>None attached.</p> : null}
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          change.run(async () => {
            await api.attach(session.iam, name, choice);
            setChoice("");
          });
        }}
      >
        <Field label="Managed policy to attach">
          <select value={choice} onChange={(e) => setChoice(e.currentTarget.value)}>
            <option value="">Choose a policy</option>
            {attachable.map((policy) => <option key={policy.Arn} value={policy.Arn}>{policy.PolicyName}</option>)}
          </select>
        </Field>
        <button type="submit" disabled={!choice || change.busy}>Attach policy</button>
      </form>
    </section>
  );
}
