/**
 * Cutting caller-controlled text to a bound: what keeps an error message, an audit record
 * or a log line from growing with the size of a request. A cut never splits a surrogate
 * pair (half a pair would be a lone surrogate, which JSON cannot carry faithfully), and a
 * cut value says so with a marker naming the length it had.
 */

/** The first `max` UTF-16 code units of `text` (one fewer if that would end in half a surrogate pair). */
export function prefixOf(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}

/**
 * `text` itself if it has at most `max` characters; else its first `max` characters and a
 * marker, `...[truncated from N characters]`. The result is longer than `max`: where `max` is
 * the model's limit of a member, a recorded value longer than that limit is always a cut one.
 */
export function truncated(text: string, max: number): string {
  return text.length <= max ? text : `${prefixOf(text, max)}...[truncated from ${text.length} characters]`;
}
