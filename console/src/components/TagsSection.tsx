/**
 * A resource's tags as a section of its page: the list, remove one, add or replace one.
 * The key page (KMS: TagKey/TagValue) and the identities pages (IAM users and roles:
 * Key/Value) use it with their own calls, given as plain key/value pairs.
 */
import { useState } from "preact/hooks";
import { ErrorBox, Field, useAction, useLoad } from "../ui.tsx";
import type { TagRow } from "./TagRows.tsx";

export interface TagsSectionProps {
  /** The section's heading level: 2 on a page of its own, 3 inside a panel. */
  level: 2 | 3;
  /** What the table's caption names (for screen readers): "Tags of …". */
  of: string;
  load: () => Promise<TagRow[]>;
  /** When to load again (as a hook's dependencies). */
  deps: unknown[];
  untag: (key: string) => Promise<unknown>;
  tag: (tag: TagRow) => Promise<unknown>;
}

export function TagsSection({ level, of, load, deps, untag, tag }: TagsSectionProps) {
  const tags = useLoad(load, deps);
  const [draft, setDraft] = useState<TagRow>({ key: "", value: "" });
  const change = useAction(async (call: () => Promise<unknown>) => {
    await call();
    tags.reload();
  });
  const Heading = level === 2 ? "h2" : "h3";
  return (
    <section aria-labelledby="tags-heading">
      <Heading id="tags-heading">Tags</Heading>
      <ErrorBox error={tags.error ?? change.error} />
      <table>
        <caption class="visually-hidden">Tags of {of}</caption>
        <thead>
          <tr><th scope="col">Key</th><th scope="col">Value</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr>
        </thead>
        <tbody>
          {(tags.data ?? []).map((row) => (
            <tr key={row.key}>
              <td>{row.key}</td>
              <td>{row.value}</td>
              <td>
                <button type="button" class="danger" onClick={() => change.run(() => untag(row.key))}>Remove tag {row.key}</button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          change.run(async () => {
            await tag(draft);
            setDraft({ key: "", value: "" });
          });
        }}
      >
        <Field label="Tag key">
          <input value={draft.key} onInput={(e) => setDraft({ ...draft, key: e.currentTarget.value })} />
        </Field>
        <Field label="Tag value">
          <input value={draft.value} onInput={(e) => setDraft({ ...draft, value: e.currentTarget.value })} />
        </Field>
        <button type="submit" disabled={!draft.key || change.busy}>Add or replace tag</button>
      </form>
    </section>
  );
}
