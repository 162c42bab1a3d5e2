/**
 * Text that is not valid Unicode. Encoding a JS string as UTF-8 replaces an unpaired
 * UTF-16 surrogate with U+FFFD, so "\ud800", "\udfff" and "\ufffd" would bind the same
 * bytes in an encryption context while comparing as three different strings in a grant
 * constraint or a policy condition. Such strings are refused where they enter (request
 * bodies, policy documents), never repaired.
 */

// A JSON escape of a surrogate code unit (`\uD800`-`\uDFFF`, any case). Text decoded from valid
// UTF-8 holds no lone surrogate itself, so JSON.parse can only produce one from such an escape.
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/**
 * Whether `text` and every string JSON.parse made of it (`parsed`, object keys included) are
 * well formed. Two quick scans of `text`; the parsed strings are walked only when `text` holds
 * a surrogate escape (rare: the SDKs escape only lone surrogates and control characters).
 */
export function jsonWellFormed(text: string, parsed: unknown): boolean {
  return text.isWellFormed() && (!SURROGATE_ESCAPE.test(text) || everyStringWellFormed(parsed));
}

// Iterative: a request body may nest arrays far deeper than the call stack.
function everyStringWellFormed(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next === "string") {
      if (!next.isWellFormed()) return false;
    } else if (Array.isArray(next)) {
      for (const item of next) pending.push(item);
    } else if (typeof next === "object" && next !== null) {
      for (const [key, item] of Object.entries(next)) {
        if (!key.isWellFormed()) return false;
        pending.push(item);
      }
    }
  }
  return true;
}
