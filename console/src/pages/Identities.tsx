/**
 * IAM identities: users, groups and roles, each with its inline policies (read, edit,
 * delete) and attached managed policies (attach, detach); a role's trust policy; users'
 * access keys (a new key's secret is shown once; deactivate, activate, delete), groups and
 * tags; groups' members; roles' tags. And the account's managed policies with their versions.
 */
import { useState } from "preact/hooks";
import { GetRoleCommand } from "@aws-sdk/client-iam";
import type { Session } from "../session.ts";
import { ErrorBox, Field, Title, useAction, useLoad } from "../ui.tsx";
import { AccessKeys } from "../identities/AccessKeys.tsx";
import { AttachedPolicies } from "../identities/AttachedPolicies.tsx";
import { EntityTags } from "../identities/EntityTags.tsx";
import { GroupMembers, UserGroups } from "../identities/GroupMembership.tsx";
import { InlinePolicies } from "../identities/InlinePolicies.tsx";
import { decoded, kindApis, type Kind } from "../identities/kinds.ts";
import { ManagedPolicies } from "../identities/ManagedPolicies.tsx";

type Tab = Kind | "policy";

const TAB_LABEL: Record<Tab, string> = { user: "Users", group: "Groups", role: "Roles", policy: "Managed policies" };

export function IdentitiesPage({ session }: { session: Session }) {
  const [tab, setTab] = useState<Tab>("user");
  return (
    <section>
      <Title>Identities</Title>
      <div role="tablist" aria-label="Kind of identity" class="tabs">
        {(["user", "group", "role", "policy"] as const).map((t) => (
          <button key={t} type="button" role="tab" aria-selected={tab === t} onClick={() => setTab(t)}>
            {TAB_LABEL[t]}
          </button>
        ))}
      </div>
      <div role="tabpanel" aria-label={TAB_LABEL[tab]}>
        {tab === "policy" ? <ManagedPolicies session={session} /> : <Identities session={session} kind={tab} key={tab} />}
      </div>
    </section>
  );
}

/** The identities of one kind, one of them selected. */
function Identities({ session, kind }: { session: Session; kind: Kind }) {
  const [selected, setSelected] = useState<string | undefined>();
  const api = kindApis(session.identity.account)[kind];
  const names = useLoad(() => api.list(session.iam), [kind, session]);
  const [newName, setNewName] = useState("");
  const create = useAction(async () => {
    await api.create(session.iam, newName.trim());
    setSelected(newName.trim());
    setNewName("");
    names.reload();
  });
  return (
    <div class="split">
      <div>
        <ErrorBox error={names.error} />
        <ul class="plain list">
          {(names.data ?? []).map((name) => (
            <li key={name}>
              <button type="button" class="link" aria-pressed={selected === name} onClick={() => setSelected(name)}>{name}</button>
            </li>
          ))}
        </ul>
        {names.data?.length === 0 ? <p>None yet.</p> : null}
        <form
          class="inline"
          onSubmit={(e) => {
            e.preventDefault();
            create.run();
          }}
        >
          <Field label={`New ${kind} name`}>
            <input value={newName} onInput={(e) => setNewName(e.currentTarget.value)} />
          </Field>
          <button type="submit" disabled={!newName.trim()}>Create {kind}</button>
        </form>
        <ErrorBox error={create.error} />
      </div>
      {selected ? (
        <div key={`${kind}:${selected}`}>
          <h2>{selected}</h2>
          {kind === "role" ? <TrustPolicy session={session} role={selected} /> : null}
          <InlinePolicies session={session} api={api} name={selected} />
          <AttachedPolicies session={session} api={api} name={selected} />
          {kind === "user" ? <UserGroups session={session} user={selected} /> : null}
          {kind === "group" ? <GroupMembers session={session} group={selected} /> : null}
          {api.tags ? <EntityTags session={session} api={api.tags} name={selected} /> : null}
          {kind === "user" ? <AccessKeys session={session} user={selected} /> : null}
        </div>
      ) : null}
    </div>
  );
}

function TrustPolicy({ session, role }: { session: Session; role: string }) {
  const loaded = useLoad(async () => decoded((await session.iam.send(new GetRoleCommand({ RoleName: role }))).Role?.AssumeRolePolicyDocument), [role, session]);
  return (
    <section aria-labelledby="trust-heading">
      <h3 id="trust-heading">Trust policy</h3>
      <ErrorBox error={loaded.error} />
      <pre class="code" tabIndex={0}>{loaded.data ? JSON.stringify(JSON.parse(loaded.data), null, 2) : ""}</pre>
    </section>
  );
}
