/** kmsd's version, from its package.json. */
import { readFileSync } from "node:fs";

/**
 * The version in the package.json nearest above this module. The module runs from
 * dist/src/cli/ in a checkout or an installed package, and from src/cli/ under a test
 * runner, so the depth differs; the walk finds the same file from both.
 */
function packageVersion(): string {
  for (let dir = new URL("./", import.meta.url); ; dir = new URL("../", dir)) {
    try {
      const text = readFileSync(new URL("package.json", dir), "utf8");
      return String((JSON.parse(text) as { version?: unknown }).version);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      if (dir.pathname === "/") return "unknown";
    }
  }
}

/** The version string, e.g. "0.1.0". */
export const VERSION = packageVersion();
