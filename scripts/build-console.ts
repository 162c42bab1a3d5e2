/**
 * Builds the web console (console/) into dist/console, which the server serves at /console/
 * (src/server/consoleFiles.ts): one bundled, minified script with Preact and the AWS SDK
 * clients for the browser, its stylesheet and index.html. No CDN: everything is served by kmsd.
 * The script bundles other projects' code (Preact, uPlot, the AWS SDK, ...), whose licences
 * ask that their notices go with it: licenses.txt, next to it, holds the licence text of every
 * package the bundle took code from, as esbuild's metafile lists them.
 *
 *   node scripts/build-console.ts      (part of npm run build)
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { build } from "esbuild";

const source = new URL("../console/", import.meta.url);
const out = new URL("../dist/console/", import.meta.url);

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const result = await build({
  metafile: true,
  entryPoints: [new URL("src/main.tsx", source).pathname],
  outfile: new URL("app.js", out).pathname,
  bundle: true,
  minify: true,
  sourcemap: false,
  format: "esm",
  platform: "browser",
  target: ["chrome120", "firefox120", "safari17"],
  jsx: "automatic",
  jsxImportSource: "preact",
  legalComments: "linked",
  logLevel: "warning",
  // The policy parser the console shares with the server imports node:net; the browser gets a copy of its two checks.
  plugins: [
    {
      name: "node-net-for-the-browser",
      setup(build) {
        build.onResolve({ filter: /^node:net$/ }, () => ({ path: new URL("src/shims/net.ts", source).pathname }));
      },
    },
  ],
});
for (const file of ["index.html", "style.css"]) copyFileSync(new URL(file, source), new URL(file, out));
// uPlot's own stylesheet (legend, axes' layout), served next to ours.
copyFileSync(new URL("../node_modules/uplot/dist/uPlot.min.css", import.meta.url), new URL("uplot.css", out));
writeFileSync(new URL("licenses.txt", out), thirdPartyLicenses(Object.keys(result.metafile.inputs)));

/** The licence of each package under node_modules that `inputs` (the bundle's source files) come from. */
function thirdPartyLicenses(inputs: readonly string[]): string {
  const packageDirs = new Set<string>();
  for (const input of inputs) {
    const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (match?.[1]) packageDirs.add(match[1]);
  }
  const sections = [...packageDirs].sort().map((dir) => {
    const manifest = JSON.parse(readFileSync(`${dir}/package.json`, "utf8")) as { name: string; version: string; license?: string };
    const file = ["LICENSE", "LICENSE.md", "LICENSE.txt", "license", "LICENCE"].find((name) => existsSync(`${dir}/${name}`));
    const text = file ? readFileSync(`${dir}/${file}`, "utf8").trim() : `License: ${manifest.license ?? "unknown"}`;
    return `${manifest.name} ${manifest.version}\n${"=".repeat(manifest.name.length + manifest.version.length + 1)}\n\n${text}\n`;
  });
  return `The kmsd web console (app.js) contains code of these packages, under these licences.\n\n${sections.join("\n")}`;
}
