/** An identity's inline policies: read, edit, add, delete. */
import { useState } from "preact/hooks";
import type { Session } from "../session.ts";
import { ErrorBox, Field, useAction, useLoad } from "../ui.tsx";
import type { KindApi } from "./kinds.ts";

export function InlinePolicies({ session, api, name }: { session: Session; api: KindApi; name: string }) {
  const policies = useLoad(() => api.inlinePolicies(session.iam, name), [name, session]);
  const [editing, setEditing] = useState<{ policy: string; document: string } | undefined>();
  const open = useAction(async (policy: string) => setEditing({ policy, document: JSON.stringify(JSON.parse(await api.getPolicy(session.iam, name, policy)), null, 2) }));
  const save = useAction(async () => {
    if (!editing) return;
    await api.putPolicy(session.iam, name, editing.policy, editing.document);
    setEditing(undefined);
    policies.reload();
  });
  const remove = useAction(async (policy: string) => {
    await api.deletePolicy(session.iam, name, policy);
    policies.reload();
  });
  return (
    <section aria-labelledby="policies-heading">
      <h3 id="policies-heading">Inline policies</h3>
      <ErrorBox error={policies.error ?? open.error ?? remove.error} />
      <ul class="plain">
        {(policies.data ?? []).map((policy) => (
          <li key={policy}>
            <code>{policy}</code> (inline)
            <button type="button" onClick={() => open.run(policy)}>Edit {policy}</button>
            <button type="button" class="danger" onClick={() => remove.run(policy)}>Delete {policy}</button>
          </li>
        ))}
      </ul>
      <button type="button" onClick={() => setEditing({ policy: "", document: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "kms:DescribeKey", Resource: "*" }] }, null, 2) })}>
        Add inline policy
      </button>
      {editing ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            save.run();
          }}
        >
          <Field label="Policy name">
            <input required value={editing.policy} onInput={(e) => setEditing({ ...editing, policy: e.currentTarget.value })} />
          </Field>
          <Field label="Policy document (JSON)">
            <textarea class="code" rows={12} spellcheck={false} value={editing.document} onInput={(e) => setEditing({ ...editing, document: e.currentTarget.value })} />
          </Field>
          <button type="submit" disabled={save.busy}>Save policy</button>
          <button type="button" onClick={() => setEditing(undefined)}>Cancel</button>
          <ErrorBox error={save.error} />
        </form>
      ) : null}
    </section>
  );
}
