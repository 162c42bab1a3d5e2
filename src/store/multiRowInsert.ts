/**
 * Many rows in one INSERT (`VALUES (...), (...)`), in portable SQL: on PostgreSQL each
 * statement is a round trip and a parse, so a group commit of N events written row by
 * row cost N times more of both than the rows themselves. A statement holds at most
 * PARAMETERS_PER_STATEMENT values; longer lists are split.
 */
import type { SqlValue } from "./sqlRunner.ts";

/** SQLite's bound on a statement's parameters (SQLITE_MAX_VARIABLE_NUMBER); PostgreSQL's is 65,535. */
const PARAMETERS_PER_STATEMENT = 32_766;

/** One statement's worth of rows: its `VALUES` list (placeholders) and the parameters, row after row. */
export interface ValuesChunk {
  values: string;
  params: SqlValue[];
}

/** Splits `rows` (each `columns` values long) into statements' `VALUES` lists. */
export function valuesChunks(rows: readonly (readonly SqlValue[])[], columns: number): ValuesChunk[] {
  const perStatement = Math.max(1, Math.floor(PARAMETERS_PER_STATEMENT / columns));
  const tuple = `(${Array.from({ length: columns }, () => "?").join(", ")})`;
  const chunks: ValuesChunk[] = [];
  for (let start = 0; start < rows.length; start += perStatement) {
    const slice = rows.slice(start, start + perStatement);
    for (const row of slice) if (row.length !== columns) throw new Error(`a row of ${row.length} values for ${columns} columns`);
    chunks.push({ values: slice.map(() => tuple).join(", "), params: slice.flat() });
  }
  return chunks;
}
