/**
 * The key list of the account and Region. ListKeys and ListAliases are read in full (ids only:
 * ten requests for 10,000 keys); DescribeKey runs only for the rows on screen, or, when a filter
 * needs metadata or tags, for every key in the background, eight at a time, while the table stays usable.
 */
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { DescribeKeyCommand, ListAliasesCommand, ListKeysCommand, ListResourceTagsCommand, type AliasListEntry, type KeyListEntry, type KeyMetadata, type Tag } from "@aws-sdk/client-kms";
import type { Session } from "../session.ts";
import { href } from "../router.ts";
import { allPages, forEachLimited } from "../kmsPaging.ts";
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
  // Metadata and tags by key id: kept in refs, with a counter to re-render as they arrive.
  const details = useRef(new Map<string, KeyMetadata>());
  const tags = useRef(new Map<string, Tag[]>());
  const [, setArrived] = useState(0);
  const [described, setDescribed] = useState(0);

  useEffect(() => {
    let stopped = false;
    const listKeys = allPages<KeyListEntry>(
      async (Marker) => {
        const out = await session.kms.send(new ListKeysCommand({ Limit: 1000, Marker }));
        return { items: out.Keys, next: out.NextMarker, truncated: out.Truncated };
      },
      (soFar) => !stopped && setKeys([...soFar]),
    );
    const listAliases = allPages<AliasListEntry>(async (Marker) => {
      const out = await session.kms.send(new ListAliasesCommand({ Limit: 100, Marker }));
      return { items: out.Aliases, next: out.NextMarker, truncated: out.Truncated };
    });
    Promise.all([listKeys, listAliases])
      .then(([, aliasList]) => {
        if (stopped) return;
        const byKey = new Map<string, string[]>();
        for (const alias of aliasList) if (alias.TargetKeyId && alias.AliasName) byKey.set(alias.TargetKeyId, [...(byKey.get(alias.TargetKeyId) ?? []), alias.AliasName]);
        setAliases(byKey);
        setListed(true);
      })
      .catch((caught: unknown) => !stopped && setError(shownError(caught)));
    return () => {
      stopped = true;
    };
  }, [session]);

  const needsMetadata = filters.state !== "" || filters.spec !== "" || filters.usage !== "";
  const needsTags = filters.tag.trim() !== "";
  const filtered = useMemo(
    () =>
      keys.filter((key) => {
        const id = key.KeyId ?? "";
        if (filters.alias && !(aliases.get(id) ?? []).some((name) => name.toLowerCase().includes(filters.alias.toLowerCase())) && !id.includes(filters.alias)) return false;
        const meta = details.current.get(id);
        if (needsMetadata && (!meta || (filters.state && meta.KeyState !== filters.state) || (filters.spec && meta.KeySpec !== filters.spec) || (filters.usage && meta.KeyUsage !== filters.usage))) return false;
        if (needsTags && !tagMatches(tags.current.get(id), filters.tag)) return false;
        return true;
      }),
    // details/tags are refs: `described` changes when they grow.
    [keys, aliases, filters, described, needsMetadata, needsTags],
  );
  const pages = Math.max(1, Math.ceil(filtered.length / PAGE_SIZE));
  const shown = filtered.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE);

  // Describe the rows on screen.
  const shownIds = shown.map((key) => key.KeyId ?? "").join(",");
  useEffect(() => {
    let stopped = false;
    const missing = shown.filter((key) => key.KeyId && !details.current.has(key.KeyId));
    void forEachLimited(missing, 8, async (key) => {
      try {
        const out = await session.kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }));
        if (out.KeyMetadata) details.current.set(key.KeyId ?? "", out.KeyMetadata);
        if (!stopped) setArrived((n) => n + 1);
      } catch (caught) {
        if (!stopped) setError(shownError(caught));
      }
    }, () => stopped);
    return () => {
      stopped = true;
    };
  }, [shownIds, session]);

  // A filter on metadata or tags: describe every key in the background.
  useEffect(() => {
    if (!listed || (!needsMetadata && !needsTags)) return;
    let stopped = false;
    const todo = keys.filter((key) => key.KeyId && ((needsMetadata && !details.current.has(key.KeyId)) || (needsTags && !tags.current.has(key.KeyId))));
    let done = 0;
    void forEachLimited(todo, 8, async (key) => {
      const id = key.KeyId ?? "";
      try {
        if (needsMetadata && !details.current.has(id)) {
          const out = await session.kms.send(new DescribeKeyCommand({ KeyId: id }));
          if (out.KeyMetadata) details.current.set(id, out.KeyMetadata);
        }
        if (needsTags && !tags.current.has(id)) {
          const out = await session.kms.send(new ListResourceTagsCommand({ KeyId: id, Limit: 50 }));
          tags.current.set(id, out.Tags ?? []);
        }
      } catch (caught) {
        if (!stopped) setError(shownError(caught));
      }
      // Re-render every 100 keys, not on every answer.
      if (++done % 100 === 0 || done === todo.length) setDescribed((n) => n + 1);
    }, () => stopped);
    return () => {
      stopped = true;
    };
  }, [listed, needsMetadata, needsTags, keys, session]);

  const loadedDetails = keys.filter((key) => details.current.has(key.KeyId ?? "")).length;
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
        {(needsMetadata || needsTags) && listed ? `; ${filtered.length} match (details read for ${loadedDetails} of ${keys.length})` : ""}
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
            const meta = details.current.get(id);
            return (
              <tr key={id}>
                <td>{(aliases.get(id) ?? []).join(", ")}</td>
                <td><a href={href("keys", id)}>{id}</a></td>
                <td>{meta?.KeyState ?? "…"}</td>
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
