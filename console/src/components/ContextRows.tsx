/** Editable encryption-context pairs (name and value), as a record for the KMS request. */
import { Field } from "../ui.tsx";

/** One encryption context pair being edited. */
export interface ContextRow {
  name: string;
  value: string;
}

/** The rows as an EncryptionContext (rows without a name are left out). */
export function contextOf(rows: ContextRow[]): Record<string, string> | undefined {
  const named = rows.filter((row) => row.name !== "");
  return named.length ? Object.fromEntries(named.map((row) => [row.name, row.value])) : undefined;
}

export function ContextRows({ rows, onChange, label = "Encryption context" }: { rows: ContextRow[]; onChange: (rows: ContextRow[]) => void; label?: string }) {
  const set = (index: number, change: Partial<ContextRow>) => onChange(rows.map((row, i) => (i === index ? { ...row, ...change } : row)));
  return (
    <fieldset class="context-rows">
      <legend>{label}</legend>
      {rows.map((row, index) => (
        <div class="row" key={index}>
          <Field label={`${label} ${index + 1} name`}>
            <input value={row.name} onInput={(e) => set(index, { name: e.currentTarget.value })} />
          </Field>
          <Field label={`${label} ${index + 1} value`}>
            <input value={row.value} onInput={(e) => set(index, { value: e.currentTarget.value })} />
          </Field>
          <button type="button" onClick={() => onChange(rows.filter((_, i) => i !== index))}>Remove pair {index + 1}</button>
        </div>
      ))}
      <button type="button" onClick={() => onChange([...rows, { name: "", value: "" }])}>Add pair</button>
    </fieldset>
  );
}
