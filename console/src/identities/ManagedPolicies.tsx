/**
 * The account's customer managed policies: create one, and for each its versions (show one,
 * add one, make one the default, delete one) and deleting the policy. IAM keeps at most five
 * versions and refuses to delete the default one or an attached policy: its errors are shown.
 */
import { useState } from "preact/hooks";
import {
  CreatePolicyCommand, CreatePolicyVersionCommand, DeletePolicyCommand, DeletePolicyVersionCommand, GetPolicyCommand, GetPolicyVersionCommand,
  ListPoliciesCommand, ListPolicyVersionsCommand, SetDefaultPolicyVersionCommand,
} from "@aws-sdk/client-iam";
import type { Session } from "../session.ts";
import { ErrorBox, Field, useAction, useLoad } from "../ui.tsx";
import { decoded } from "./kinds.ts";

const STARTER_DOCUMENT = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "kms:DescribeKey", Resource: "*" }] }, null, 2);

/** Pretty JSON of a policy document, or the text as it is if it does not parse. */
function pretty(document: string): string {
  try {
    return JSON.stringify(JSON.parse(document), null, 2);
  } catch {
    return document;
  }
}

export function ManagedPolicies({ session }: { session: Session }) {
  const policies = useLoad(async () => (await session.iam.send(new ListPoliciesCommand({ Scope: "Local" }))).Policies ?? [], [session]);
  const [selected, setSelected] = useState<string | undefined>();
  const [draft, setDraft] = useState({ name: "", document: STARTER_DOCUMENT });
  const create = useAction(async () => {
    const out = await session.iam.send(new CreatePolicyCommand({ PolicyName: draft.name.trim(), PolicyDocument: draft.document }));
    setSelected(out.Policy?.Arn);
    setDraft({ name: "", document: STARTER_DOCUMENT });
    policies.reload();
  });
  return (
    <div class="split">
      <div>
        <ErrorBox error={policies.error} />
        <ul class="plain list">
          {(policies.data ?? []).map((policy) => (
            <li key={policy.Arn}>
              <button type="button" class="link" aria-pressed={selected === policy.Arn} onClick={() => setSelected(policy.Arn)}>{policy.PolicyName}</button>
            </li>
          ))}
        </ul>
        {policies.data?.length === 0 ? <p>None yet.</p> : null}
        <form
          onSubmit={(e) => {
            e.preventDefault();
            create.run();
          }}
        >
          <Field label="New policy name">
            <input value={draft.name} onInput={(e) => setDraft({ ...draft, name: e.currentTarget.value })} />
          </Field>
          <Field label="New policy document (JSON)">
            <textarea class="code" rows={8} spellcheck={false} value={draft.document} onInput={(e) => setDraft({ ...draft, document: e.currentTarget.value })} />
          </Field>
          <button type="submit" disabled={!draft.name.trim() || create.busy}>Create policy</button>
        </form>
        <ErrorBox error={create.error} />
      </div>
      {selected ? (
        <PolicyVersions
          session={session}
          arn={selected}
          key={selected}
          onDeleted={() => {
            setSelected(undefined);
            policies.reload();
          }}
        />
      ) : null}
    </div>
  );
}

function PolicyVersions({ session, arn, onDeleted }: { session: Session; arn: string; onDeleted: () => void }) {
  const loaded = useLoad(async () => {
    const policy = (await session.iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy;
    const versions = (await session.iam.send(new ListPolicyVersionsCommand({ PolicyArn: arn }))).Versions ?? [];
    return { policy, versions };
  }, [arn, session]);
  const [shown, setShown] = useState<{ version: string; document: string } | undefined>();
  const [draft, setDraft] = useState({ document: "", makeDefault: true });
  const change = useAction(async (call: () => Promise<unknown>) => {
    await call();
    loaded.reload();
  });
  const show = useAction(async (version: string) => {
    const out = await session.iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: version }));
    setShown({ version, document: pretty(decoded(out.PolicyVersion?.Document)) });
  });
  const remove = useAction(async () => {
    await session.iam.send(new DeletePolicyCommand({ PolicyArn: arn }));
    onDeleted();
  });
  const policy = loaded.data?.policy;
  return (
    <div>
      <h2>{policy?.PolicyName ?? arn}</h2>
      <ErrorBox error={loaded.error ?? change.error ?? show.error ?? remove.error} />
      {policy ? (
        <p>
          <code>{arn}</code>, attached to {policy.AttachmentCount ?? 0} {policy.AttachmentCount === 1 ? "identity" : "identities"}; default version {policy.DefaultVersionId}.
        </p>
      ) : null}
      <section aria-labelledby="versions-heading">
        <h3 id="versions-heading">Versions</h3>
        <table>
          <caption class="visually-hidden">Versions of {policy?.PolicyName}</caption>
          <thead><tr><th scope="col">Version</th><th scope="col">Default</th><th scope="col">Created</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>
            {(loaded.data?.versions ?? []).map((version) => {
              const id = version.VersionId ?? "";
              return (
                <tr key={id}>
                  <td>{id}</td>
                  <td>{version.IsDefaultVersion ? "Yes" : "No"}</td>
                  <td>{version.CreateDate?.toISOString()}</td>
                  <td>
                    <button type="button" onClick={() => show.run(id)}>Show {id}</button>
                    {version.IsDefaultVersion ? null : (
                      <>
                        <button type="button" onClick={() => change.run(() => session.iam.send(new SetDefaultPolicyVersionCommand({ PolicyArn: arn, VersionId: id })))}>
                          Make {id} the default
                        </button>
                        <button type="button" class="danger" onClick={() => change.run(() => session.iam.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: id })))}>
                          Delete {id}
                        </button>
                      </>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {shown ? (
          <>
            <h4>Document of {shown.version}</h4>
            <pre class="code" tabIndex={0} data-testid="policy-version-document">{shown.document}</pre>
          </>
        ) : null}
        <form
          onSubmit={(e) => {
            e.preventDefault();
            change.run(async () => {
              await session.iam.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: draft.document, SetAsDefault: draft.makeDefault }));
              setDraft({ document: "", makeDefault: true });
            });
          }}
        >
          <Field label="New version's document (JSON)">
            <textarea class="code" rows={8} spellcheck={false} value={draft.document} onInput={(e) => setDraft({ ...draft, document: e.currentTarget.value })} />
          </Field>
          <label class="check">
            <input type="checkbox" checked={draft.makeDefault} onChange={(e) => setDraft({ ...draft, makeDefault: e.currentTarget.checked })} />
            Make it the default version
          </label>
          <button type="submit" disabled={!draft.document.trim() || change.busy}>Create version</button>
        </form>
      </section>
      <button type="button" class="danger" onClick={() => remove.run()}>Delete policy {policy?.PolicyName}</button>
    </div>
  );
}
