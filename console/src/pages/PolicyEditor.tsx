/**
 * The key policy editor. JSON syntax is checked as you type (line and column); saving sends
 * PutKeyPolicy and shows the server's own MalformedPolicyDocumentException, at the line it
 * names when it quotes part of the policy. When the server's lockout check refuses the policy
 * (it would stop the caller from changing the policy again), the console warns and saves only
 * if the user confirms, with BypassPolicyLockoutSafetyCheck.
 */
import { useEffect, useState } from "preact/hooks";
import { GetKeyPolicyCommand, PutKeyPolicyCommand } from "@aws-sdk/client-kms";
import type { Session } from "../session.ts";
import { href } from "../router.ts";
import { ErrorBox, Field, shownError, Title, useAction, useLoad, type ShownError } from "../ui.tsx";
import { jsonSyntaxProblem, lineOf, summarizePolicy } from "../policyText.ts";

/** The server's lockout check answers with this MalformedPolicyDocumentException message (AWS's wording). */
const LOCKOUT_MESSAGE = "will not allow you to update the key policy in the future";

export function PolicyEditorPage({ session, keyId }: { session: Session; keyId: string }) {
  const stored = useLoad(async () => (await session.kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: "default" }))).Policy ?? "", [keyId, session]);
  const [text, setText] = useState<string | undefined>();
  const [serverError, setServerError] = useState<ShownError | undefined>();
  const [lockout, setLockout] = useState(false);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (stored.data !== undefined) setText(prettyPolicy(stored.data));
  }, [stored.data]);
  const policy = text ?? "";
  const syntax = text === undefined ? undefined : jsonSyntaxProblem(policy);
  const summary = summarizePolicy(policy);

  const save = useAction(async (bypassLockoutCheck: boolean) => {
    setServerError(undefined);
    setSaved(false);
    try {
      await session.kms.send(new PutKeyPolicyCommand({ KeyId: keyId, PolicyName: "default", Policy: policy, BypassPolicyLockoutSafetyCheck: bypassLockoutCheck }));
      setLockout(false);
      setSaved(true);
    } catch (error) {
      const shown = shownError(error);
      if (shown.name === "MalformedPolicyDocumentException" && shown.message.includes(LOCKOUT_MESSAGE)) setLockout(true);
      else setServerError(shown);
    }
  });
  const errorLine = serverError ? quotedLine(policy, serverError.message) : undefined;

  return (
    <section>
      <Title>Key policy of {keyId}</Title>
      <p><a href={href("keys", keyId)}>Back to the key</a></p>
      <ErrorBox error={stored.error ?? save.error} />
      <form
        onSubmit={(e) => {
          e.preventDefault();
          save.run(false);
        }}
      >
        <Field label="Key policy (JSON)">
          <textarea
            class="code"
            rows={22}
            spellcheck={false}
            aria-invalid={syntax !== undefined || serverError !== undefined}
            aria-describedby="policy-problems"
            value={policy}
            onInput={(e) => {
              setText(e.currentTarget.value);
              setServerError(undefined);
              setLockout(false);
              setSaved(false);
            }}
          />
        </Field>
        <div id="policy-problems" aria-live="polite">
          {syntax ? <p class="problem">Line {syntax.line}, column {syntax.column}: {syntax.message}</p> : null}
          {serverError ? (
            <div class="error" role="alert">
              <strong>{serverError.name}</strong>
              {errorLine ? <span> (line {errorLine})</span> : null}
              <p>{serverError.message}</p>
            </div>
          ) : null}
        </div>
        {lockout ? (
          <div class="warning" role="alert">
            <strong>This policy would lock you out</strong>
            <p>
              kmsd's lockout check says the new policy would not allow you ({session.identity.arn}) to change the key policy again. Unless
              another principal can, nobody will be able to manage this key.
            </p>
            <button type="button" class="danger" onClick={() => save.run(true)}>Save anyway (bypass the lockout check)</button>
          </div>
        ) : null}
        <button type="submit" disabled={syntax !== undefined || save.busy || text === undefined}>Save policy</button>
        {saved ? <p role="status">Policy saved.</p> : null}
      </form>
      <section aria-labelledby="summary-heading">
        <h2 id="summary-heading">Who may do what</h2>
        <table>
          <caption class="visually-hidden">Policy statements</caption>
          <thead>
            <tr><th scope="col">Statement</th><th scope="col">Effect</th><th scope="col">Principals</th><th scope="col">Actions</th><th scope="col">Conditions</th></tr>
          </thead>
          <tbody>
            {summary.map((statement) => (
              <tr key={statement.sid}>
                <td>{statement.sid}</td>
                <td>{statement.effect}</td>
                <td>{statement.who}</td>
                <td>{statement.what}</td>
                <td>{statement.conditions ? "yes" : "no"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </section>
  );
}

/** The policy as stored, indented for editing (kept as is when it does not parse). */
function prettyPolicy(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** The line of the first quoted fragment of a server message ('...' or "...") found in the policy. */
function quotedLine(policy: string, message: string): number | undefined {
  for (const match of message.matchAll(/["']([^"']{2,})["']/g)) {
    const line = lineOf(policy, match[1] ?? "");
    if (line !== undefined) return line;
  }
  return undefined;
}
