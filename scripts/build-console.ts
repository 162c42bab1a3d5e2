/**
 * Builds the web console (console/) into dist/console, which the server serves at /console/
 * (src/server/consoleFiles.ts): one bundled, minified script with Preact and the AWS SDK
 * clients for the browser, its stylesheet and index.html. No CDN: everything is served by kmsd.
 *
 *   node scripts/build-console.ts      (part of npm run build)
 */
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { build } from "esbuild";

const source = new URL("../console/", import.meta.url);
const out = new URL("../dist/console/", import.meta.url);

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
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
