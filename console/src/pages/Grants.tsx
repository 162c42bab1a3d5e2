/** The grants of one key: list, create (operations, constraints, grantee), retire, revoke. */
import { useState } from "preact/hooks";
import { CreateGrantCommand, ListGrantsCommand, RetireGrantCommand, RevokeGrantCommand, type GrantOperation } from "@aws-sdk/client-kms";
import type { Session } from "../session.ts";
import { href } from "../router.ts";
import { allPages } from "../kmsPaging.ts";
import { ErrorBox, Field, Title, useAction, useLoad } from "../ui.tsx";
import { contextOf, ContextRows, type ContextRow } from "../components/ContextRows.tsx";

const OPERATIONS: GrantOperation[] = [
  "Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext",
  "ReEncryptFrom", "ReEncryptTo", "Sign", "Verify", "GenerateMac", "VerifyMac", "DeriveSharedSecret", "GetPublicKey", "DescribeKey",
  "CreateGrant", "RetireGrant",
];

export function GrantsPage({ session, keyId }: { session: Session; keyId: string }) {
  const grants = useLoad(
    () => allPages(async (Marker) => {
      const out = await session.kms.send(new ListGrantsCommand({ KeyId: keyId, Marker, Limit: 100 }));
      return { items: out.Grants, next: out.NextMarker, truncated: out.Truncated };
    }),
    [keyId, session],
  );
  const [grantee, setGrantee] = useState("");
  const [retiring, setRetiring] = useState("");
  const [name, setName] = useState("");
  const [operations, setOperations] = useState<GrantOperation[]>([]);
  const [constraint, setConstraint] = useState<"none" | "subset" | "equals">("none");
  const [context, setContext] = useState<ContextRow[]>([]);
  const [created, setCreated] = useState<{ id: string; token: string } | undefined>();

  const create = useAction(async () => {
    const pairs = contextOf(context);
    const out = await session.kms.send(
      new CreateGrantCommand({
        KeyId: keyId,
        GranteePrincipal: grantee,
        Operations: operations,
        ...(retiring ? { RetiringPrincipal: retiring } : {}),
        ...(name ? { Name: name } : {}),
        ...(constraint !== "none" && pairs ? { Constraints: constraint === "subset" ? { EncryptionContextSubset: pairs } : { EncryptionContextEquals: pairs } } : {}),
      }),
    );
    setCreated({ id: out.GrantId ?? "", token: out.GrantToken ?? "" });
    grants.reload();
  });
  const change = useAction(async (kind: "retire" | "revoke", grantId: string) => {
    if (kind === "retire") await session.kms.send(new RetireGrantCommand({ KeyId: keyId, GrantId: grantId }));
    else await session.kms.send(new RevokeGrantCommand({ KeyId: keyId, GrantId: grantId }));
    grants.reload();
  });

  return (
    <section>
      <Title>Grants of {keyId}</Title>
      <p><a href={href("keys", keyId)}>Back to the key</a></p>
      <ErrorBox error={grants.error ?? change.error} />
      <table>
        <caption class="visually-hidden">Grants</caption>
        <thead>
          <tr>
            <th scope="col">Grant ID</th><th scope="col">Name</th><th scope="col">Grantee</th><th scope="col">Operations</th>
            <th scope="col">Constraints</th><th scope="col">Retiring principal</th><th scope="col"><span class="visually-hidden">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          {(grants.data ?? []).map((grant) => (
            <tr key={grant.GrantId}>
              <td><code>{grant.GrantId}</code></td>
              <td>{grant.Name}</td>
              <td>{grant.GranteePrincipal}</td>
              <td>{grant.Operations?.join(", ")}</td>
              <td>{grant.Constraints ? JSON.stringify(grant.Constraints) : ""}</td>
              <td>{grant.RetiringPrincipal}</td>
              <td>
                <button type="button" onClick={() => change.run("retire", grant.GrantId ?? "")}>Retire grant {grant.Name || grant.GrantId}</button>
                <button type="button" class="danger" onClick={() => change.run("revoke", grant.GrantId ?? "")}>Revoke grant {grant.Name || grant.GrantId}</button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {grants.data?.length === 0 ? <p>This key has no grants.</p> : null}
      <h2>Create a grant</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          create.run();
        }}
      >
        <Field label="Grantee principal (ARN)">
          <input required value={grantee} onInput={(e) => setGrantee(e.currentTarget.value)} />
        </Field>
        <Field label="Retiring principal (ARN, optional)">
          <input value={retiring} onInput={(e) => setRetiring(e.currentTarget.value)} />
        </Field>
        <Field label="Grant name (optional)">
          <input value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </Field>
        <fieldset class="operations">
          <legend>Operations</legend>
          {OPERATIONS.map((operation) => (
            <label class="check" key={operation}>
              <input
                type="checkbox"
                checked={operations.includes(operation)}
                onChange={(e) => setOperations(e.currentTarget.checked ? [...operations, operation] : operations.filter((o) => o !== operation))}
              />
              {operation}
            </label>
          ))}
        </fieldset>
        <Field label="Encryption context constraint">
          <select value={constraint} onChange={(e) => setConstraint(e.currentTarget.value as "none" | "subset" | "equals")}>
            <option value="none">None</option>
            <option value="subset">The request's context includes these pairs (EncryptionContextSubset)</option>
            <option value="equals">The request's context is exactly these pairs (EncryptionContextEquals)</option>
          </select>
        </Field>
        {constraint !== "none" ? <ContextRows rows={context} onChange={setContext} label="Constraint context" /> : null}
        <button type="submit" disabled={create.busy}>Create grant</button>
      </form>
      <ErrorBox error={create.error} />
      {created ? (
        <div class="notice" role="status">
          Grant created: <code>{created.id}</code>. Grant token (shown once): <code class="wrap">{created.token}</code>
        </div>
      ) : null}
    </section>
  );
}
