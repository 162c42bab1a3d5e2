/** Editable tag rows (key and value), each with labelled inputs and a remove button. */
import { Field } from "../ui.tsx";

/** One tag being edited. */
export interface TagRow {
  key: string;
  value: string;
}

export function TagRows({ tags, onChange }: { tags: TagRow[]; onChange: (tags: TagRow[]) => void }) {
  const set = (index: number, change: Partial<TagRow>) => onChange(tags.map((tag, i) => (i === index ? { ...tag, ...change } : tag)));
  return (
    <div class="tag-rows">
      {tags.map((tag, index) => (
        <div class="row" key={index}>
          <Field label={`Tag ${index + 1} key`}>
            <input value={tag.key} onInput={(e) => set(index, { key: e.currentTarget.value })} />
          </Field>
          <Field label={`Tag ${index + 1} value`}>
            <input value={tag.value} onInput={(e) => set(index, { value: e.currentTarget.value })} />
          </Field>
          <button type="button" onClick={() => onChange(tags.filter((_, i) => i !== index))}>Remove tag {index + 1}</button>
        </div>
      ))}
      <button type="button" onClick={() => onChange([...tags, { key: "", value: "" }])}>Add tag</button>
    </div>
  );
}
