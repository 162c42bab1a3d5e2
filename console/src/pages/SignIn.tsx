/** Sign-in: an access key (and optionally a session token), checked with STS GetCallerIdentity. */
import { useState } from "preact/hooks";
import { REGIONS, signIn, type Session } from "../session.ts";
import { ErrorBox, Field, useAction } from "../ui.tsx";

export function SignIn({ onSignIn }: { onSignIn: (session: Session) => void }) {
  const [accessKeyId, setAccessKeyId] = useState("");
  const [secretAccessKey, setSecretAccessKey] = useState("");
  const [sessionToken, setSessionToken] = useState("");
  const [region, setRegion] = useState("us-east-1");
  const [remember, setRemember] = useState(false);
  const action = useAction(async () => {
    const credentials = { accessKeyId: accessKeyId.trim(), secretAccessKey: secretAccessKey.trim(), ...(sessionToken.trim() ? { sessionToken: sessionToken.trim() } : {}) };
    onSignIn(await signIn(credentials, region, remember));
  });
  return (
    <main id="main" class="signin">
      <h1 tabIndex={-1}>Sign in to kmsd</h1>
      <p>
        The console signs every request with these credentials, exactly as an SDK would: it can do what they may do, and
        every call is in the audit trail under their identity. They stay in this tab's memory and are sent nowhere but in
        signed requests to this server.
      </p>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          action.run();
        }}
      >
        <Field label="Access key ID">
          <input name="accessKeyId" autoComplete="username" required value={accessKeyId} onInput={(e) => setAccessKeyId(e.currentTarget.value)} />
        </Field>
        <Field label="Secret access key">
          <input name="secretAccessKey" type="password" autoComplete="current-password" required value={secretAccessKey} onInput={(e) => setSecretAccessKey(e.currentTarget.value)} />
        </Field>
        <Field label="Session token (optional)">
          <input name="sessionToken" type="password" autoComplete="off" value={sessionToken} onInput={(e) => setSessionToken(e.currentTarget.value)} />
        </Field>
        <Field label="Region">
          <select name="region" value={region} onChange={(e) => setRegion(e.currentTarget.value)}>
            {REGIONS.map((r) => <option key={r} value={r}>{r}</option>)}
          </select>
        </Field>
        <label class="check">
          <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.currentTarget.checked)} />
          Remember in this tab (sessionStorage; forgotten when the tab closes)
        </label>
        <button type="submit" disabled={action.busy}>Sign in</button>
      </form>
      <ErrorBox error={action.error} />
    </main>
  );
}
