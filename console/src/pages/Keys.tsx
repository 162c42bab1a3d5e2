/**
 * The key list of the account and Region. ListKeys and ListAliases are read in full (ids only:
 * ten requests for 10,000 keys); each key's metadata comes from the session's key catalog
 * (keyCatalog.ts), which reads it in the background, the rows on screen first, and keeps it,
 * so filtering by state, spec or usage asks the server nothing and applies to what has been
 * read so far (the status line says how much). Tags are read only once a tag filter is used.
 */
import { useEffect, useMemo, useState } from "preact/hooks";
import { ListAliasesCommand, ListKeysCommand, type AliasListEntry, type KeyListEntry, type Tag } from "@aws-sdk/client-kms";
import type { Session } from "../session.ts";
import { href } from "../router.ts";
import { allPages } from "../kmsPaging.ts";
import { keyCatalog } from "../keyCatalog.ts";
import { ErrorBox, Field, shownError, Title, type ShownError } from "../ui.tsx";

const PAGE_SIZE = 50;
const KEY_STATES = ["Enabled", "Disabled", "PendingDeletion", "PendingImport", "PendingReplicaDeletion", "Unavailable", "Creating", "Updating"];
const KEY_SPECS = ["SYMMETRIC_DEFAULT", "RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1", "ECC_NIST_EDWARDS25519", "SM2", "HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512", "ML_DSA_44", "ML_DSA_65", "ML_DSA_87"];
const KEY_USAGES = ["ENCRYPT_DECRYPT", "SIGN_VERIFY", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT"];

interface Filters {
  alias: string;
  state: string;
  spec: string;
  usage: string;
  tag: string;
}

/** "Key=Value" or "Key" (any value). */
function tagMatches(tags: Tag[] | undefined, filter: string): boolean {
  const [key, value] = filter.split("=", 2) as [string, string | undefined];
  return (tags ?? []).some((tag) => tag.TagKey === key.trim() && (value === undefined || tag.TagValue === value.trim()));
}

export function KeysPage({ session }: { session: Session }) {
  const [keys, setKeys] = useState<KeyListEntry[]>([]);
  const [aliases, setAliases] = useState(new Map<string, string[]>());
  const [listed, setListed] = useState(false);
  const [error, setError] = useState<ShownError | undefined>();
  const [filters, setFilters] = useState<Filters>({ alias: "", state: "", spec: "", usage: "", tag: "" });
  const [page, setPage] = useState(0);
  const catalog = keyCatalog(session.kms);
  // The catalog's maps grow in place; this counter re-renders the page when they do.
  const [arrivals, setArrivals] = useState(0);
  useEffect(() => catalog.subscribe(() => setArrivals((n) => n + 1)), [catalog]);

  useEffect(() => {
    let stopped = false;
    const listKeys = allPages<KeyListEntry>(
      async (Marker) => {
        const out = await session.kms.send(new ListKeysCommand({ Limit: 1000, Marker }));
        return { items: out.Keys, next: out.NextMarker, truncated: out.Truncated };
      },
      (soFar) => !stopped && setKeys([...soFar]),
    );
    // Every alias of the Region in one paged pass, instead of one ListAliases per key.
    const listAliases = allPages<AliasListEntry>(async (Marker) => {
      const out = await session.kms.send(new ListAliasesCommand({ Limit: 100, Marker }));
      return { items: out.Aliases, next: out.NextMarker, truncated: out.Truncated };
    });
    Promise.all([listKeys, listAliases])
      .then(([keyList, aliasList]) => {
        if (stopped) return;
        const byKey = new Map<string, string[]>();
        for (const alias of aliasList) if (alias.TargetKeyId && alias.AliasName) byKey.set(alias.TargetKeyId, [...(byKey.get(alias.TargetKeyId) ?? []), alias.AliasName]);
        setAliases(byKey);
        setListed(true);
        catalog.setKeys(keyList.map((key) => key.KeyId ?? ""));
      })
      .catch((caught: unknown) => !stopped && setError(shownError(caught)));
    return () => {
      stopped = true;
    };
  }, [session, catalog]);

  const needsMetadata = filters.state !== "" || filters.spec !== "" || filters.usage !== "";
  const needsTags = filters.tag.trim() !== "";
  useEffect(() => {
    if (needsTags) catalog.wantTags();
  }, [needsTags, catalog]);
  const filtered = useMemo(
    () =>
      keys.filter((key) => {
        const id = key.KeyId ?? "";
        if (filters.alias && !(aliases.get(id) ?? []).some((name) => name.toLowerCase().includes(filters.alias.toLowerCase())) && !id.includes(filters.alias)) return false;
        const meta = catalog.metadata.get(id);
        if (needsMetadata && (!meta || (filters.state && meta.KeyState !== filters.state) || (filters.spec && meta.KeySpec !== filters.spec) || (filters.usage && meta.KeyUsage !== filters.usage))) return false;
        if (needsTags && !tagMatches(catalog.tags.get(id), filters.tag)) return false;
        return true;
      }),
    // The catalog's maps are mutable: `arrivals` changes when they grow.
    [keys, aliases, filters, arrivals, needsMetadata, needsTags, catalog],
  );
  const pages = Math.max(1, Math.ceil(filtered.length / PAGE_SIZE));
  const shown = filtered.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE);
  // The rows on screen are described before the rest.
  const shownIds = shown.map((key) => key.KeyId ?? "").join(",");
  useEffect(() => catalog.showing(shownIds ? shownIds.split(",") : []), [shownIds, catalog]);

  // What a filter can see: keys with their metadata, and their tags too when a tag filter is on.
  const progress = catalog.progress();
  const loaded = needsTags ? Math.min(progress.described, progress.tagged) : progress.described;
  const setFilter = (name: keyof Filters) => (event: Event) => {
    setFilters({ ...filters, [name]: (event.currentTarget as HTMLInputElement | HTMLSelectElement).value });
    setPage(0);
  };

  return (
    <section>
      <div class="title-row">
        <Title>Keys</Title>
        <a class="button" href={href("keys", "new")}>Create key</a>
      </div>
      <ErrorBox error={error} />
      <form class="filters" aria-label="Filter keys" onSubmit={(e) => e.preventDefault()}>
        <Field label="Alias or key ID contains">
          <input type="search" value={filters.alias} onInput={setFilter("alias")} />
        </Field>
        <Field label="State">
          <select value={filters.state} onChange={setFilter("state")}>
            <option value="">Any</option>
            {KEY_STATES.map((s) => <option key={s}>{s}</option>)}
          </select>
        </Field>
        <Field label="Key spec">
          <select value={filters.spec} onChange={setFilter("spec")}>
            <option value="">Any</option>
            {KEY_SPECS.map((s) => <option key={s}>{s}</option>)}
          </select>
        </Field>
        <Field label="Key usage">
          <select value={filters.usage} onChange={setFilter("usage")}>
            <option value="">Any</option>
            {KEY_USAGES.map((s) => <option key={s}>{s}</option>)}
          </select>
        </Field>
        <Field label="Tag (Key or Key=Value)">
          <input type="search" value={filters.tag} onInput={setFilter("tag")} />
        </Field>
      </form>
      <p class="status" role="status">
        {listed ? `${keys.length} keys in ${session.region}` : `Listing keys… ${keys.length} so far`}
        {listed && (needsMetadata || needsTags || filters.alias) ? `; ${filtered.length} match` : ""}
        {listed ? `; details loaded for ${loaded} of ${progress.keys}` : ""}
        {listed && (needsMetadata || needsTags) && loaded < progress.keys ? " (the filter applies to the keys loaded so far)" : ""}
        {catalog.failures.size > 0 ? `; ${catalog.failures.size} could not be read` : ""}
      </p>
      <table class="keys">
        <caption class="visually-hidden">Keys in {session.region}</caption>
        <thead>
          <tr>
            <th scope="col">Aliases</th>
            <th scope="col">Key ID</th>
            <th scope="col">State</th>
            <th scope="col">Spec</th>
            <th scope="col">Usage</th>
            <th scope="col">Description</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((key) => {
            const id = key.KeyId ?? "";
            const meta = catalog.metadata.get(id);
            return (
              <tr key={id}>
                <td>{(aliases.get(id) ?? []).join(", ")}</td>
                <td><a href={href("keys", id)}>{id}</a></td>
                <td>{meta?.KeyState ?? (catalog.failures.has(id) ? "?" : "…")}</td>
                <td>{meta?.KeySpec ?? ""}</td>
                <td>{meta?.KeyUsage ?? ""}</td>
                <td>{meta?.Description ?? ""}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {listed && filtered.length === 0 ? <p>No keys match.</p> : null}
      <nav class="pager" aria-label="Pages of keys">
        <button type="button" disabled={page === 0} onClick={() => setPage(page - 1)}>Previous page</button>
        <span>Page {Math.min(page + 1, pages)} of {pages}</span>
        <button type="button" disabled={page + 1 >= pages} onClick={() => setPage(page + 1)}>Next page</button>
      </nav>
    </section>
  );
}
