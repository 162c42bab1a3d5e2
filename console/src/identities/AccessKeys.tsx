/** A user's access keys: create (the secret is shown once), deactivate, activate, delete. */
import { useState } from "preact/hooks";
import { CreateAccessKeyCommand, DeleteAccessKeyCommand, ListAccessKeysCommand, UpdateAccessKeyCommand } from "@aws-sdk/client-iam";
import type { Session } from "../session.ts";
import { ErrorBox, useAction, useLoad } from "../ui.tsx";

export function AccessKeys({ session, user }: { session: Session; user: string }) {
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
