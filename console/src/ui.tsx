/**
 * Small building blocks every page uses: the error box (AWS's error type and message, as the
 * server sent them), labelled fields, and a hook that runs an async action with busy/error state.
 */
import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";

/** An error as the console shows it: AWS's error name and message. */
export interface ShownError {
  name: string;
  message: string;
}

/** The name and message of whatever a call threw (an SDK ServiceException, a network failure...). */
export function shownError(error: unknown): ShownError {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: "Error", message: String(error) };
}

/** Access denied is said in plain words first: an empty list would hide it. */
function headline(error: ShownError): string {
  if (error.name === "AccessDeniedException" || error.name === "AccessDenied") return "Access denied";
  return error.name;
}

/** An error, announced to screen readers. */
export function ErrorBox({ error }: { error: ShownError | undefined }) {
  if (!error) return null;
  return (
    <div class="error" role="alert">
      <strong>{headline(error)}</strong>
      {headline(error) !== error.name ? <span class="error-type"> ({error.name})</span> : null}
      <p>{error.message}</p>
    </div>
  );
}

/**
 * A label with its control (the control is the child, so the label is associated); a hint
 * goes below, outside the label, so the control's name stays the label alone.
 */
export function Field({ label, children, hint }: { label: string; children: ComponentChildren; hint?: string }) {
  return (
    <div class="field">
      <label>
        <span class="field-label">{label}</span>
        {children}
      </label>
      {hint ? <span class="hint">{hint}</span> : null}
    </div>
  );
}

/** The state of an async action the user started. */
export interface Action<A extends unknown[]> {
  run: (...args: A) => void;
  busy: boolean;
  error: ShownError | undefined;
  clearError: () => void;
}

/** Runs `body` on demand, tracking whether it runs and what it threw. */
export function useAction<A extends unknown[]>(body: (...args: A) => Promise<void>): Action<A> {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ShownError | undefined>();
  const run = useCallback(
    (...args: A) => {
      setBusy(true);
      setError(undefined);
      body(...args)
        .catch((caught: unknown) => setError(shownError(caught)))
        .finally(() => setBusy(false));
    },
    [body],
  );
  return { run, busy, error, clearError: () => setError(undefined) };
}

/** Loads data when `deps` change; `reload` loads again. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): { data: T | undefined; error: ShownError | undefined; loading: boolean; reload: () => void } {
  const [data, setData] = useState<T | undefined>();
  const [error, setError] = useState<ShownError | undefined>();
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let current = true;
    setLoading(true);
    setError(undefined);
    load()
      .then((value) => current && setData(value))
      .catch((caught: unknown) => current && setError(shownError(caught)))
      .finally(() => current && setLoading(false));
    return () => {
      current = false;
    };
  }, [...deps, generation]);
  return { data, error, loading, reload: () => setGeneration((g) => g + 1) };
}

/** Lets the user save text as a file (public keys, import tokens). */
export function download(name: string, content: BlobPart, type = "application/octet-stream"): void {
  const url = URL.createObjectURL(new Blob([content], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Pretty JSON for display. */
export function json(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (v instanceof Uint8Array ? `<${v.length} bytes>` : v), 2);
}

/** A page's heading: focusable from script, so navigation can move focus to it. */
export function Title({ children }: { children: ComponentChildren }) {
  return <h1 tabIndex={-1}>{children}</h1>;
}
