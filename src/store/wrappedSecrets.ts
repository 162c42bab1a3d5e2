/**
 * The secrets the root key wraps, row by row, for root key rotation (src/seal/rotateRoot.ts):
 * listed a page at a time in primary key order, and each replaced by its re-wrapped form
 * only if it is still the blob that was read (a write that landed meanwhile is kept, and
 * the rotation reads it again), a page in one transaction. Portable SQL on the SqlRunner, so both engines run the
 * same statements. Custom key store secrets live inside their store's JSON record, and
 * customKeyStoreSecrets.ts reads and replaces them.
 */
import { type CustomKeyStoreSecretKind, listCustomKeyStoreSecrets, replaceCustomKeyStoreSecret } from "./customKeyStoreSecrets.ts";
import { bytes } from "./rows.ts";
import type { SqlExecutor, SqlRunner, SqlValue } from "./sqlRunner.ts";

/** The kinds of wrapped secret the Store holds. */
export type WrappedSecretKind = ColumnSecretKind | CustomKeyStoreSecretKind;

/** The kinds kept in a column of their own. */
type ColumnSecretKind = "key material" | "access key" | "sts session" | "sts token session";

/** Every kind, in the order a rotation visits them. */
export const WRAPPED_SECRET_KINDS: readonly WrappedSecretKind[] = ["key material", "access key", "sts session", "sts token session", "xks proxy secret", "kmsuser password"];

/**
 * One wrapped secret: its row's primary key ([key handle, material id], or [access key id];
 * for a custom key store's secret [store id, account id, region]) and the blob.
 */
export interface WrappedSecret {
  kind: WrappedSecretKind;
  id: readonly string[];
  wrapped: Buffer;
}

const TABLES: Record<ColumnSecretKind, { table: string; keyColumns: readonly string[]; wrappedColumn: string }> = {
  "key material": { table: "key_materials", keyColumns: ["key_id", "key_material_id"], wrappedColumn: "wrapped" },
  "access key": { table: "access_keys", keyColumns: ["access_key_id"], wrappedColumn: "wrapped_secret" },
  "sts session": { table: "sts_sessions", keyColumns: ["access_key_id"], wrappedColumn: "wrapped_secret" },
  "sts token session": { table: "sts_token_sessions", keyColumns: ["access_key_id"], wrappedColumn: "wrapped_secret" },
};

/** Up to `limit` secrets of `kind` whose primary key comes after `after` (from the start when undefined). */
export async function listWrappedSecrets(sql: SqlExecutor, kind: WrappedSecretKind, after: readonly string[] | undefined, limit: number): Promise<WrappedSecret[]> {
  if (kind === "xks proxy secret" || kind === "kmsuser password") return listCustomKeyStoreSecrets(sql, kind, after, limit);
  const { table, keyColumns, wrappedColumn } = TABLES[kind];
  const order = keyColumns.join(", ");
  let where = "";
  let params: SqlValue[] = [];
  if (after !== undefined) {
    if (after.length !== keyColumns.length) throw new Error(`a ${kind} is named by ${keyColumns.length} value(s)`);
    // Keyset paging: (a, b) > (x, y) spelled out, which both engines plan on the primary key.
    const [first, second] = keyColumns;
    where = second === undefined ? `WHERE ${first} > ?` : `WHERE ${first} > ? OR (${first} = ? AND ${second} > ?)`;
    params = second === undefined ? [after[0] ?? ""] : [after[0] ?? "", after[0] ?? "", after[1] ?? ""];
  }
  const rows = await sql.all(`SELECT ${order}, ${wrappedColumn} AS wrapped FROM ${table} ${where} ORDER BY ${order} LIMIT ?`, ...params, limit);
  return rows.map((row) => ({ kind, id: keyColumns.map((column) => String(row[column])), wrapped: bytes(row.wrapped) }));
}

/** A wrapped secret as read, and its re-wrapped form. */
export interface WrappedSecretReplacement {
  secret: WrappedSecret;
  replacement: Buffer;
}

/** Replaces each secret's blob in one transaction, each only if its row still holds the blob read; returns how many were replaced. */
export async function replaceWrappedSecrets(sql: SqlRunner, replacements: readonly WrappedSecretReplacement[]): Promise<number> {
  return sql.transaction(async (tx) => {
    let replaced = 0;
    for (const { secret, replacement } of replacements) if (await replaceWrappedSecret(tx, secret, replacement)) replaced++;
    return replaced;
  });
}

async function replaceWrappedSecret(sql: SqlExecutor, secret: WrappedSecret, replacement: Buffer): Promise<boolean> {
  if (secret.kind === "xks proxy secret" || secret.kind === "kmsuser password") return replaceCustomKeyStoreSecret(sql, { ...secret, kind: secret.kind }, replacement);
  const { table, keyColumns, wrappedColumn } = TABLES[secret.kind];
  const match = keyColumns.map((column) => `${column} = ?`).join(" AND ");
  const result = await sql.run(`UPDATE ${table} SET ${wrappedColumn} = ? WHERE ${match} AND ${wrappedColumn} = ?`, replacement, ...secret.id, secret.wrapped);
  return result.changes === 1;
}
