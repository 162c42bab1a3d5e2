/** The tags of a user or role: add or replace one, remove one. */
import { useState } from "preact/hooks";
import type { Session } from "../session.ts";
import { ErrorBox, Field, useAction, useLoad } from "../ui.tsx";
import type { TagApi } from "./kinds.ts";

export function EntityTags({ session, api, name }: { session: Session; api: TagApi; name: string }) {
  const tags = useLoad(() => api.list(session.iam, name), [name, session]);
  const [draft, setDraft] = useState({ key: "", value: "" });
  const change = useAction(async (call: () => Promise<unknown>) => {
    await call();
    tags.reload();
  });
  return (
    <section aria-labelledby="tags-heading">
      <h3 id="tags-heading">Tags</h3>
      <ErrorBox error={tags.error ?? change.error} />
      <table>
        <caption class="visually-hidden">Tags of {name}</caption>
        <thead><tr><th scope="col">Key</th><th scope="col">Value</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
        <tbody>
          {(tags.data ?? []).map((tag) => (
            <tr key={tag.Key}>
              <td>{tag.Key}</td>
              <td>{tag.Value}</td>
              <td>
                <button type="button" class="danger" onClick={() => change.run(() => api.untag(session.iam, name, [tag.Key ?? ""]))}>Remove tag {tag.Key}</button>
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
            await api.tag(session.iam, name, [{ Key: draft.key, Value: draft.value }]);
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
        <button type="submit" disabled={!draft.key || change.busy}>Add tag</button>
      </form>
    </section>
  );
}
