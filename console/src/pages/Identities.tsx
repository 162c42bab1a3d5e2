/**
 * IAM identities: users, groups and roles, their inline policies (read, edit, delete) and
 * attached managed policies, a role's trust policy, and users' access keys (a new key's secret
 * is shown once; deactivate, activate, delete).
 */
import { useState } from "preact/hooks";
import {
  CreateAccessKeyCommand, CreateGroupCommand, CreateRoleCommand, CreateUserCommand, DeleteAccessKeyCommand, DeleteGroupPolicyCommand,
  DeleteRolePolicyCommand, DeleteUserPolicyCommand, GetGroupPolicyCommand, GetRoleCommand, GetRolePolicyCommand, GetUserPolicyCommand,
  ListAccessKeysCommand, ListAttachedGroupPoliciesCommand, ListAttachedRolePoliciesCommand, ListAttachedUserPoliciesCommand,
  ListGroupPoliciesCommand, ListGroupsCommand, ListRolePoliciesCommand, ListRolesCommand, ListUserPoliciesCommand, ListUsersCommand,
  PutGroupPolicyCommand, PutRolePolicyCommand, PutUserPolicyCommand, UpdateAccessKeyCommand, type IAMClient,
} from "@aws-sdk/client-iam";
import type { Session } from "../session.ts";
import { ErrorBox, Field, Title, useAction, useLoad } from "../ui.tsx";

type Kind = "user" | "group" | "role";

/** The IAM calls for one kind of identity, so one panel serves all three. */
interface KindApi {
  list(iam: IAMClient): Promise<string[]>;
  create(iam: IAMClient, name: string): Promise<unknown>;
  inlinePolicies(iam: IAMClient, name: string): Promise<string[]>;
  getPolicy(iam: IAMClient, name: string, policy: string): Promise<string>;
  putPolicy(iam: IAMClient, name: string, policy: string, document: string): Promise<unknown>;
  deletePolicy(iam: IAMClient, name: string, policy: string): Promise<unknown>;
  attached(iam: IAMClient, name: string): Promise<string[]>;
}

/** IAM returns policy documents URL-encoded. */
const decoded = (document: string | undefined) => decodeURIComponent(document ?? "");

const TRUST_EVERYONE_IN_ACCOUNT = (account: string) =>
  JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: "sts:AssumeRole" }] });

function apis(account: string): Record<Kind, KindApi> {
  return {
    user: {
      list: async (iam) => ((await iam.send(new ListUsersCommand({}))).Users ?? []).map((u) => u.UserName ?? ""),
      create: (iam, name) => iam.send(new CreateUserCommand({ UserName: name })),
      inlinePolicies: async (iam, name) => (await iam.send(new ListUserPoliciesCommand({ UserName: name }))).PolicyNames ?? [],
      getPolicy: async (iam, name, policy) => decoded((await iam.send(new GetUserPolicyCommand({ UserName: name, PolicyName: policy }))).PolicyDocument),
      putPolicy: (iam, name, policy, document) => iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: policy, PolicyDocument: document })),
      deletePolicy: (iam, name, policy) => iam.send(new DeleteUserPolicyCommand({ UserName: name, PolicyName: policy })),
      attached: async (iam, name) => ((await iam.send(new ListAttachedUserPoliciesCommand({ UserName: name }))).AttachedPolicies ?? []).map((p) => p.PolicyArn ?? ""),
    },
    group: {
      list: async (iam) => ((await iam.send(new ListGroupsCommand({}))).Groups ?? []).map((g) => g.GroupName ?? ""),
      create: (iam, name) => iam.send(new CreateGroupCommand({ GroupName: name })),
      inlinePolicies: async (iam, name) => (await iam.send(new ListGroupPoliciesCommand({ GroupName: name }))).PolicyNames ?? [],
      getPolicy: async (iam, name, policy) => decoded((await iam.send(new GetGroupPolicyCommand({ GroupName: name, PolicyName: policy }))).PolicyDocument),
      putPolicy: (iam, name, policy, document) => iam.send(new PutGroupPolicyCommand({ GroupName: name, PolicyName: policy, PolicyDocument: document })),
      deletePolicy: (iam, name, policy) => iam.send(new DeleteGroupPolicyCommand({ GroupName: name, PolicyName: policy })),
      attached: async (iam, name) => ((await iam.send(new ListAttachedGroupPoliciesCommand({ GroupName: name }))).AttachedPolicies ?? []).map((p) => p.PolicyArn ?? ""),
    },
    role: {
      list: async (iam) => ((await iam.send(new ListRolesCommand({}))).Roles ?? []).map((r) => r.RoleName ?? ""),
      create: (iam, name) => iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: TRUST_EVERYONE_IN_ACCOUNT(account) })),
      inlinePolicies: async (iam, name) => (await iam.send(new ListRolePoliciesCommand({ RoleName: name }))).PolicyNames ?? [],
      getPolicy: async (iam, name, policy) => decoded((await iam.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: policy }))).PolicyDocument),
      putPolicy: (iam, name, policy, document) => iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: policy, PolicyDocument: document })),
      deletePolicy: (iam, name, policy) => iam.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: policy })),
      attached: async (iam, name) => ((await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name }))).AttachedPolicies ?? []).map((p) => p.PolicyArn ?? ""),
    },
  };
}

const KIND_LABEL: Record<Kind, string> = { user: "Users", group: "Groups", role: "Roles" };

export function IdentitiesPage({ session }: { session: Session }) {
  const [kind, setKind] = useState<Kind>("user");
  const [selected, setSelected] = useState<string | undefined>();
  const api = apis(session.identity.account)[kind];
  const names = useLoad(() => api.list(session.iam), [kind, session]);
  const [newName, setNewName] = useState("");
  const create = useAction(async () => {
    await api.create(session.iam, newName.trim());
    setSelected(newName.trim());
    setNewName("");
    names.reload();
  });
  return (
    <section>
      <Title>Identities</Title>
      <div role="tablist" aria-label="Kind of identity" class="tabs">
        {(["user", "group", "role"] as const).map((k) => (
          <button
            key={k}
            type="button"
            role="tab"
            aria-selected={kind === k}
            onClick={() => {
              setKind(k);
              setSelected(undefined);
            }}
          >
            {KIND_LABEL[k]}
          </button>
        ))}
      </div>
      <div class="split" role="tabpanel" aria-label={KIND_LABEL[kind]}>
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
          <div>
            <h2>{selected}</h2>
            {kind === "role" ? <TrustPolicy session={session} role={selected} /> : null}
            <InlinePolicies session={session} api={api} name={selected} key={`${kind}:${selected}`} />
            {kind === "user" ? <AccessKeys session={session} user={selected} key={`keys:${selected}`} /> : null}
          </div>
        ) : null}
      </div>
    </section>
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

function InlinePolicies({ session, api, name }: { session: Session; api: KindApi; name: string }) {
  const policies = useLoad(async () => ({ inline: await api.inlinePolicies(session.iam, name), attached: await api.attached(session.iam, name) }), [name, session]);
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
      <h3 id="policies-heading">Policies</h3>
      <ErrorBox error={policies.error ?? open.error ?? remove.error} />
      <ul class="plain">
        {(policies.data?.inline ?? []).map((policy) => (
          <li key={policy}>
            <code>{policy}</code> (inline)
            <button type="button" onClick={() => open.run(policy)}>Edit {policy}</button>
            <button type="button" class="danger" onClick={() => remove.run(policy)}>Delete {policy}</button>
          </li>
        ))}
        {(policies.data?.attached ?? []).map((arn) => <li key={arn}><code>{arn}</code> (attached managed policy)</li>)}
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

function AccessKeys({ session, user }: { session: Session; user: string }) {
  const keys = useLoad(async () => (await session.iam.send(new ListAccessKeysCommand({ UserName: user }))).AccessKeyMetadata ?? [], [user, session]);
  const [secret, setSecret] = useState<{ id: string; secret: string } | undefined>();
  const act = useAction(async (change: () => Promise<unknown>) => {
    await change();
    keys.reload();
  });
  return (
    <section aria-labelledby="access-keys-heading">
      <h3 id="access-keys-heading">Access keys</h3>
      <ErrorBox error={keys.error ?? act.error} />
      <table>
        <caption class="visually-hidden">Access keys of {user}</caption>
        <thead><tr><th scope="col">Access key ID</th><th scope="col">Status</th><th scope="col">Created</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
        <tbody>
          {(keys.data ?? []).map((key) => {
            const id = key.AccessKeyId ?? "";
            const next = key.Status === "Active" ? "Inactive" : "Active";
            return (
              <tr key={id}>
                <td><code>{id}</code></td>
                <td>{key.Status}</td>
                <td>{key.CreateDate?.toISOString()}</td>
                <td>
                  <button type="button" onClick={() => act.run(() => session.iam.send(new UpdateAccessKeyCommand({ UserName: user, AccessKeyId: id, Status: next })))}>
                    {next === "Inactive" ? "Deactivate" : "Activate"} {id}
                  </button>
                  <button type="button" class="danger" onClick={() => act.run(() => session.iam.send(new DeleteAccessKeyCommand({ UserName: user, AccessKeyId: id })))}>
                    Delete {id}
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <button
        type="button"
        onClick={() =>
          act.run(async () => {
            const out = await session.iam.send(new CreateAccessKeyCommand({ UserName: user }));
            setSecret({ id: out.AccessKey?.AccessKeyId ?? "", secret: out.AccessKey?.SecretAccessKey ?? "" });
          })
        }
      >
        Create access key
      </button>
      {secret ? (
        <div class="notice" role="status">
          <p>New access key <code>{secret.id}</code>. Its secret is shown this once; copy it now:</p>
          <code class="wrap" data-testid="new-secret">{secret.secret}</code>
          <button type="button" onClick={() => setSecret(undefined)}>I have copied it</button>
        </div>
      ) : null}
    </section>
  );
}
