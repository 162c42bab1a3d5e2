/**
 * AWS wildcard matching compiled to RegExps: `*` is any run of characters, `?` exactly one.
 * In ARN patterns a wildcard in the first five colon-separated fields (arn, partition,
 * service, region, account) stays inside its field; in the resource field it may match
 * anything, colons included.
 */

/** A piece of a pattern: `wild` pieces treat `*` and `?` as wildcards, others are literal text. */
export interface GlobPiece {
  readonly text: string;
  readonly wild: boolean;
}

/** True when a policy string holds `*` or `?`. */
export function hasWildcard(text: string): boolean {
  return text.includes("*") || text.includes("?");
}

/** Escapes text for use inside a RegExp. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/** Compiles pieces to an anchored RegExp; `arn` keeps wildcards inside the first five ARN fields. */
export function compileGlob(pieces: readonly GlobPiece[], arn: boolean, ignoreCase = false): RegExp {
  let source = "^";
  let colons = 0;
  for (const piece of pieces) {
    for (const ch of piece.text) {
      const inHeader = arn && colons < 5;
      if (piece.wild && ch === "*") source += inHeader ? "[^:]*" : "[\\s\\S]*";
      else if (piece.wild && ch === "?") source += inHeader ? "[^:]" : "[\\s\\S]";
      else source += escapeRegExp(ch);
      if (ch === ":") colons++;
    }
  }
  return new RegExp(source + "$", ignoreCase ? "iu" : "u");
}

/** Compiles one wildcard string. */
export function globToRegExp(pattern: string, ignoreCase = false): RegExp {
  return compileGlob([{ text: pattern, wild: true }], false, ignoreCase);
}

/** Compiles one ARN wildcard pattern (field-aware). */
export function arnGlobToRegExp(pattern: string): RegExp {
  return compileGlob([{ text: pattern, wild: true }], true);
}
