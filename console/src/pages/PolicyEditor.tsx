/**
 * The key policy editor. As you type, the policy goes through the server's own checks
 * (policyCheck.ts: JSON syntax, then src/authz's parser), each problem shown at its line;
 * saving sends PutKeyPolicy and shows the server's MalformedPolicyDocumentException (for what
 * only the server can check, such as a principal that does not exist) at its line too. When the server's lockout check refuses the policy
 * (it would stop the caller from changing the policy again), the console warns and saves only
 * if the user confirms, with BypassPolicyLockoutSafetyCheck.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { GetKeyPolicyCommand, PutKeyPolicyCommand } from "@aws-sdk/client-kms";
import type { Session } from "../session.ts";
import { href } from "../router.ts";
import { ErrorBox, Field, shownError, Title, useAction, useLoad, type ShownError } from "../ui.tsx";
import { summarizePolicy } from "../policyText.ts";
import { keyPolicyProblem, problemLine } from "../policyCheck.ts";

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
  const problem = text === undefined ? undefined : keyPolicyProblem(policy);
  const editor = useRef<HTMLTextAreaElement>(null);
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
  const errorLine = serverError ? problemLine(policy, serverError.message) : undefined;

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
            ref={editor}
            aria-invalid={problem !== undefined || serverError !== undefined}
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
          {problem ? (
            <p class="problem">
              Line {problem.line}{problem.column !== undefined ? `, column ${problem.column}` : ""}: {problem.message}{" "}
              <button type="button" class="link" onClick={() => selectLine(editor.current, problem.line)}>Show line {problem.line}</button>
            </p>
          ) : null}
          {serverError ? (
            <div class="error" role="alert">
              <strong>{serverError.name}</strong>
              {errorLine !== undefined ? <span> (line {errorLine})</span> : null}
              <p>{serverError.message}</p>
              {errorLine !== undefined ? <button type="button" class="link" onClick={() => selectLine(editor.current, errorLine)}>Show line {errorLine}</button> : null}
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
        {/* Only text that is not JSON cannot be sent; any other problem the server answers itself, shown at its line. */}
        <button type="submit" disabled={problem?.syntax === true || save.busy || text === undefined}>Save policy</button>
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

/** Puts the cursor on `line` of the editor and selects it, so the user sees what a problem is about. */
function selectLine(editor: HTMLTextAreaElement | null, line: number): void {
  if (!editor) return;
  const lines = editor.value.split("\n");
  const start = lines.slice(0, line - 1).reduce((sum, text) => sum + text.length + 1, 0);
  editor.focus();
  editor.setSelectionRange(start, start + (lines[line - 1]?.length ?? 0));
}
