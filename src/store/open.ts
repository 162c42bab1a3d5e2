/**
 * Where a deployment keeps its state, and opening it: SQLite files in the data directory
 * (the embedded default) or a PostgreSQL database named by URL (several nodes). The only
 * place outside the engines' own directories that knows both.
 */
import type { AuditStore } from "./auditStore.ts";
import { openPgAuditStore } from "./postgres/pgAuditStore.ts";
import { auditDbPath, openSqliteAuditStore, type SqliteAuditStoreOptions } from "./sqlite/sqliteAuditStore.ts";

/** True for a PostgreSQL connection URL (postgres:// or postgresql://). */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value);
}

/** Where the audit trail of a deployment lives: its database URL, else audit.db in the data directory. */
export function auditLocation(dataDir: string, databaseUrl: string | undefined): string {
  return databaseUrl ?? auditDbPath(dataDir);
}

/** Opens the audit store at `location` (a PostgreSQL URL or an audit.db path); SQLite options apply to SQLite only. */
export async function openAuditStoreAt(location: string, options: SqliteAuditStoreOptions = {}): Promise<AuditStore> {
  return isPostgresUrl(location) ? openPgAuditStore(location) : openSqliteAuditStore(location, options);
}

/** A database URL with its password hidden, for messages and logs. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparsable database URL)";
  }
}
