/**
 * The web console's static files (built by `npm run build` from console/ into dist/console),
 * served under /console/ on the API's own port. They are files, not API calls: nothing here
 * authenticates or is audited, because nothing here reads or changes state; the console does
 * everything through the signed public APIs, like any SDK. Only the files the build wrote are
 * served (read once, kept in memory), so no request path can name anything else on disk; an
 * unknown path is a plain 404.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join, relative } from "node:path";
import type { IncomingMessage, ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import { log } from "./log.ts";

/** Where the console lives in the URL space. */
export const CONSOLE_PATH = "/console/";

/** The built console, next to the built server (dist/src/server -> dist/console). */
const CONSOLE_DIR = fileURLToPath(new URL("../../console/", import.meta.url));

/**
 * Every response carries these. The CSP allows only the console's own files and requests to its
 * own origin (the API): no inline script or style, no frames, no form posts elsewhere.
 */
const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
} as const;

/** The content types of the files a console build contains; anything else is not served. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

interface ConsoleFile {
  body: Buffer;
  contentType: string;
}

/** Whether `pathname` belongs to the console (`/console` itself redirects to `/console/`). */
export function isConsolePath(pathname: string): boolean {
  return pathname === "/console" || pathname.startsWith(CONSOLE_PATH);
}

let files: ReadonlyMap<string, ConsoleFile> | undefined;

/** The built files by URL path, read on first use (a few hundred KB). */
function consoleFiles(): ReadonlyMap<string, ConsoleFile> {
  if (files) return files;
  const found = new Map<string, ConsoleFile>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else {
        const contentType = CONTENT_TYPES[extname(name)];
        if (contentType) found.set(CONSOLE_PATH + relative(CONSOLE_DIR, path).split("\\").join("/"), { body: readFileSync(path), contentType });
      }
    }
  };
  try {
    walk(CONSOLE_DIR);
  } catch (error) {
    // A server built without the console (or run from source) still serves the API.
    log.warn("the web console is not built; /console/ answers 404", { dir: CONSOLE_DIR, error: String(error) });
  }
  const index = found.get(`${CONSOLE_PATH}index.html`);
  if (index) found.set(CONSOLE_PATH, index);
  files = found;
  return files;
}

/** Answers a request for a console path (isConsolePath): the file, a redirect, 404 or 405. */
export function serveConsoleFile(req: IncomingMessage, res: ServerResponse, pathname: string): void {
  req.resume(); // a body, if any, is not read
  if (req.method !== "GET" && req.method !== "HEAD") {
    return plain(res, 405, "Method Not Allowed", { allow: "GET, HEAD" });
  }
  if (pathname === "/console") return plain(res, 301, "Moved Permanently", { location: CONSOLE_PATH });
  const file = consoleFiles().get(pathname);
  if (!file) return plain(res, 404, "Not Found");
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    "content-type": file.contentType,
    "content-length": file.body.length,
    // The file names are not content-hashed: revalidate so an upgraded kmsd serves its own console.
    "cache-control": "no-cache",
  });
  res.end(req.method === "HEAD" ? undefined : file.body);
}

function plain(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  const body = `${text}\n`;
  res.writeHead(status, { ...SECURITY_HEADERS, ...headers, "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(body) });
  res.end(body);
}
