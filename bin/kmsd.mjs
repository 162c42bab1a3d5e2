#!/usr/bin/env node
// The kmsd command. Checks the Node.js version before loading anything else, so an old
// Node gets a clear message instead of a syntax or module error.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const [major] = process.versions.node.split(".").map(Number);
if (major < 24) {
  // In a clone of the repository, npm scripts put the Node.js 24 of devDependencies first on the PATH.
  const inCheckout = existsSync(new URL("../node_modules/node/package.json", import.meta.url));
  process.stderr.write(
    `kmsd needs Node.js 24 or later; this is Node.js ${process.versions.node} (${process.execPath}).\n` +
      (inCheckout
        ? "In this clone, run it through npm, which uses the Node.js 24 pinned in devDependencies:\n  npm start   or   npx kmsd <command> ...   or   npm run -s kmsd -- <command> ...\n"
        : "Install Node.js 24 (https://nodejs.org/, or with a version manager: nvm install 24), or run kmsd with\n" +
          `a Node.js 24 that npm fetches:\n  npx -y -p node@24 -- node ${fileURLToPath(import.meta.url)} ${process.argv.slice(2).join(" ") || "serve"}\n`),
  );
  process.exit(1);
}
let main;
try {
  ({ main } = await import("../dist/src/cli/main.js"));
} catch (error) {
  if (error?.code !== "ERR_MODULE_NOT_FOUND" || !String(error.message).includes("dist/src/cli/main.js")) throw error;
  process.stderr.write("kmsd is not built yet: run `npm run build` first.\n");
  process.exit(1);
}
process.exitCode = await main(process.argv.slice(2));
