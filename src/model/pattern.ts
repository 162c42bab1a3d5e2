/**
 * Translation of the Java regular expressions found in AWS models (`pattern` traits)
 * into JavaScript RegExps. AWS validates with Java's `Matcher.matches()`, so a pattern
 * must match the whole value even when it has no `^`/`$` (IAM answers
 * `Member must satisfy regular expression pattern: [\w+=,.@-]+` for `my role`).
 */

// Escaped characters that keep their backslash in a `u`-mode JavaScript RegExp.
const JS_SYNTAX = new Set("^$\\.*+?()[]{}|/");
// Java's `\s` is ASCII-only; JavaScript's also matches Unicode spaces.
const JAVA_SPACE = "\\t\\n\\x0B\\f\\r ";
// Java's POSIX classes are ASCII-only; JavaScript would read `\p{Alpha}` as Unicode Alphabetic.
const JAVA_POSIX: Record<string, string> = {
  Lower: "a-z",
  Upper: "A-Z",
  ASCII: "\\x00-\\x7F",
  Alpha: "a-zA-Z",
  Digit: "0-9",
  Alnum: "a-zA-Z0-9",
  Punct: "\\x21-\\x2F\\x3A-\\x40\\x5B-\\x60\\x7B-\\x7E",
  Graph: "\\x21-\\x7E",
  Print: "\\x20-\\x7E",
  Blank: " \\t",
  Cntrl: "\\x00-\\x1F\\x7F",
  XDigit: "0-9a-fA-F",
  Space: JAVA_SPACE,
};

/**
 * Returns the JavaScript source and flags equivalent to a Java pattern used with
 * `matches()`, or undefined when it uses something this translation does not handle.
 */
export function translateJavaPattern(pattern: string): { source: string; flags: string } | undefined {
  let body = pattern;
  let flags = "u"; // `\p{L}` and code-point semantics, as in Java
  // A leading inline flag group such as `(?s)`: JavaScript only has flags on the whole RegExp.
  const inline = /^\(\?([imsx]+)\)/.exec(body);
  if (inline) {
    if (inline[1]!.includes("x")) return undefined;
    flags += [...new Set(inline[1])].join("");
    body = body.slice(inline[0].length);
  }
  let out = "";
  let inClass = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === "\\") {
      const next = body[i + 1];
      if (next === undefined) return undefined;
      i++;
      if (next === "s") {
        out += inClass ? JAVA_SPACE : `[${JAVA_SPACE}]`;
      } else if (next === "p" || next === "P") {
        // `\pL` or `\p{Name}`: POSIX names become ASCII ranges, the rest stay Unicode properties.
        const braced = body[i + 1] === "{";
        const end = braced ? body.indexOf("}", i) : i + 1;
        if (end < 0 || end >= body.length) return undefined;
        const name = braced ? body.slice(i + 2, end) : body[end]!;
        i = end;
        const posix = JAVA_POSIX[name];
        if (posix === undefined) out += `\\${next}{${name}}`;
        else if (next === "p") out += inClass ? posix : `[${posix}]`;
        else if (inClass) return undefined; // a negated set cannot be nested in a class without the `v` flag
        else out += `[^${posix}]`;
      } else if (/[A-Za-z0-9]/.test(next)) out += "\\" + next; // \d \w \u0009 ...: same meaning
      else if (JS_SYNTAX.has(next) || (next === "-" && inClass)) out += "\\" + next;
      else out += next; // Java allows escaping any other symbol (`\:`); `u` mode does not
      continue;
    }
    if (c === "[" && !inClass) inClass = true;
    else if (c === "]" && inClass) inClass = false;
    out += c;
  }
  return { source: `^(?:${out})$`, flags };
}

/** Compiles a model pattern for whole-value matching; undefined if it cannot be translated. */
export function compileJavaPattern(pattern: string): RegExp | undefined {
  const translated = translateJavaPattern(pattern);
  if (!translated) return undefined;
  try {
    return new RegExp(translated.source, translated.flags);
  } catch {
    return undefined;
  }
}
