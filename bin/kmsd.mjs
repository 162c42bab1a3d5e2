#!/usr/bin/env node
// The kmsd command. Checks the Node.js version before loading anything else, so an old
// Node gets a clear message instead of a syntax or module error.
const [major] = process.versions.node.split(".").map(Number);
if (major < 24) {
  process.stderr.write(
    `kmsd needs Node.js 24 or later; this is Node.js ${process.versions.node}.\n` +
      "Run it through npm (npm start, npm run kmsd -- ...), which uses the Node.js 24 pinned in devDependencies.\n",
  );
  process.exit(1);
}
let main;
try {
  ({ main } = await import("../dist/src/cli/main.js"));
} catch (error) {
  if (error?.code !== "ERR_MODULE_NOT_FOUND") throw error;
  process.stderr.write("kmsd is not built yet: run `npm run build` first.\n");
  process.exit(1);
}
process.exitCode = await main(process.argv.slice(2));
