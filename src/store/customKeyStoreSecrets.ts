/**
 * The custom key store secrets the root key wraps, for root key rotation: an external key
 * store's proxy secret and a CloudHSM-type store's kmsuser password. Unlike the other
 * wrapped secrets they have no column of their own: each is base64 inside the row's JSON
 * `record` (src/keys/customKeyStores.ts), so a replacement rewrites the record, and is
 * compare-and-set on the row's revision (read in the same transaction, with the blob
 * checked to be the one the rotation read), bumping it as any other write of a store does.
 */
import type { CustomKeyStoreRecord } from "../keys/customKeyStores.ts";
import type { SqlExecutor } from "./sqlRunner.ts";
import type { WrappedSecret } from "./wrappedSecrets.ts";

/** The two kinds of custom key store secret. */
export type CustomKeyStoreSecretKind = "xks proxy secret" | "kmsuser password";

/** One store's secret; its id is [store id, account id, region], all its additional data needs. */
export type CustomKeyStoreSecret = WrappedSecret & { kind: CustomKeyStoreSecretKind };

/** Where each kind's blob is in a record, and which rows have one. */
const SECRETS: Record<CustomKeyStoreSecretKind, { holders: string; read: (record: CustomKeyStoreRecord) => string | undefined; write: (record: CustomKeyStoreRecord, wrapped: string) => CustomKeyStoreRecord }> = {
  "xks proxy secret": {
    holders: "proxy_uri IS NOT NULL",
    read: (record) => record.xks?.wrappedSecret,
    write: (record, wrapped) => (record.xks ? { ...record, xks: { ...record.xks, wrappedSecret: wrapped } } : record),
  },
  "kmsuser password": {
    holders: "cluster_id IS NOT NULL",
    read: (record) => record.cloudHsm?.wrappedPassword,
    write: (record, wrapped) => (record.cloudHsm ? { ...record, cloudHsm: { ...record.cloudHsm, wrappedPassword: wrapped } } : record),
  },
};

/** Up to `limit` secrets of `kind`, in store id order after the store id `after[0]`. */
export async function listCustomKeyStoreSecrets(sql: SqlExecutor, kind: CustomKeyStoreSecretKind, after: readonly string[] | undefined, limit: number): Promise<CustomKeyStoreSecret[]> {
  const { holders, read } = SECRETS[kind];
  const rows =
    after === undefined
      ? await sql.all(`SELECT custom_key_store_id, account_id, region, record FROM custom_key_stores WHERE ${holders} ORDER BY custom_key_store_id LIMIT ?`, limit)
      : await sql.all(
          `SELECT custom_key_store_id, account_id, region, record FROM custom_key_stores WHERE ${holders} AND custom_key_store_id > ? ORDER BY custom_key_store_id LIMIT ?`,
          after[0] ?? "",
          limit,
        );
  const secrets: CustomKeyStoreSecret[] = [];
  for (const row of rows) {
    const wrapped = read(JSON.parse(String(row.record)) as CustomKeyStoreRecord);
    // A row without its secret would be a corrupt record; the rotation has nothing of it to re-wrap.
    if (wrapped === undefined) continue;
    secrets.push({ kind, id: [String(row.custom_key_store_id), String(row.account_id), String(row.region)], wrapped: Buffer.from(wrapped, "base64") });
  }
  return secrets;
}

/** Writes `replacement` into the store's record if it still holds the blob read; false if the store changed or is gone. */
export async function replaceCustomKeyStoreSecret(tx: SqlExecutor, secret: CustomKeyStoreSecret, replacement: Buffer): Promise<boolean> {
  const [storeId = ""] = secret.id;
  const row = await tx.get("SELECT revision, record FROM custom_key_stores WHERE custom_key_store_id = ?", storeId);
  if (!row) return false;
  const { read, write } = SECRETS[secret.kind];
  const record = JSON.parse(String(row.record)) as CustomKeyStoreRecord;
  if (read(record) !== secret.wrapped.toString("base64")) return false;
  const revision = Number(row.revision);
  const next = { ...write(record, replacement.toString("base64")), revision: revision + 1 };
  const written = await tx.run(
    "UPDATE custom_key_stores SET record = ?, revision = ? WHERE custom_key_store_id = ? AND revision = ?",
    JSON.stringify(next),
    next.revision,
    storeId,
    revision,
  );
  return written.changes === 1;
}
