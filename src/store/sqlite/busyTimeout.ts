/**
 * How long a SQLite connection waits for another process's lock before failing with
 * "database is locked". Workers, the scheduler and `kmsd account create` share the
 * database files; their transactions are short, so a wait this long means something
 * is stuck, not busy.
 */
export const BUSY_TIMEOUT_MS = 10_000;
