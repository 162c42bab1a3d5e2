/**
 * Where each member of a JSON document starts, by path ("Statement/0/Effect" -> line 7), so the
 * policy editor can put a problem at the line of the element it is about. JSON.parse says
 * nothing of positions; this walks text that JSON.parse already accepted.
 */

/** The 1-based line of every member and array element of `text`, by its path ("" is the document). */
export function jsonLines(text: string): Map<string, number> {
  const lines = new Map<string, number>();
  let at = 0;
  let line = 1;
  const skipSpace = () => {
    while (at < text.length && /\s/.test(text[at] ?? "")) {
      if (text[at] === "\n") line++;
      at++;
    }
  };
  const readString = (): string => {
    const start = at;
    at++; // the opening quote
    while (at < text.length && text[at] !== '"') at += text[at] === "\\" ? 2 : 1;
    at++; // the closing quote
    return JSON.parse(text.slice(start, at)) as string;
  };
  const value = (path: string): void => {
    skipSpace();
    lines.set(path, line);
    const char = text[at];
    if (char === "{") {
      at++;
      skipSpace();
      while (text[at] !== "}" && at < text.length) {
        const memberLine = line;
        const name = readString();
        skipSpace();
        at++; // the colon
        const memberPath = path === "" ? name : `${path}/${name}`;
        value(memberPath);
        lines.set(memberPath, memberLine);
        skipSpace();
        if (text[at] === ",") at++;
        skipSpace();
      }
      at++;
    } else if (char === "[") {
      at++;
      skipSpace();
      for (let index = 0; text[at] !== "]" && at < text.length; index++) {
        value(path === "" ? String(index) : `${path}/${index}`);
        skipSpace();
        if (text[at] === ",") at++;
        skipSpace();
      }
      at++;
    } else if (char === '"') {
      readString();
    } else {
      while (at < text.length && !/[\s,\]}]/.test(text[at] ?? "")) at++;
    }
  };
  value("");
  return lines;
}
