#!/usr/bin/env node
// Writes src/model/<service>.generated.ts from botocore's service model: metadata,
// operation names, input shape per operation and every shape reachable from the inputs
// (types, members, required, min/max, enum, pattern, sensitive; no documentation).
//
// Usage: node scripts/generate-model.mjs [--check] <service>...   e.g. kms cloudtrail
//   --check  write nothing; exit 1 if a committed file differs from what would be written
// botocore is found with python3 (`import botocore`); BOTOCORE_DATA=<dir> overrides
// the data directory (the one holding kms/, cloudtrail/, ...).

import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { compileJavaPattern } from "../src/model/pattern.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const OUT_DIR = join(ROOT, "src", "model");

// Shape types the validator understands (see src/model/types.ts).
const SHAPE_TYPES = new Set([
  "structure", "list", "map", "string", "integer", "long", "double", "float", "boolean", "blob", "timestamp",
]);
// botocore keys we drop on purpose; anything else unknown is reported so it is not lost silently.
const IGNORED_SHAPE_KEYS = new Set([
  "documentation", "deprecated", "deprecatedMessage", "exception", "error", "fault", "box", "synthetic",
]);
const IGNORED_MEMBER_KEYS = new Set(["shape", "documentation", "deprecated", "deprecatedMessage"]);
const METADATA_KEYS = [
  "apiVersion", "endpointPrefix", "protocol", "protocols", "serviceId", "serviceFullName",
  "serviceAbbreviation", "signatureVersion", "signingName", "targetPrefix", "jsonVersion",
  "xmlNamespace", "globalEndpoint", "uid", "auth",
];

// AWS lists enum values in its own order, not the model's. Where a recording shows that
// order for exactly the model's current value set, use it (applied only if the sets match).
const ENUM_ORDER = {
  kms: {
    // test_kms.snapshot.json, TestKMS::test_invalid_generate_mac[HMAC_256-INVALID]
    MacAlgorithmSpec: ["HMAC_SHA_384", "HMAC_SHA_256", "HMAC_SHA_224", "HMAC_SHA_512"],
  },
};

// The botocore data directory and botocore's version (named in the generated header).
function botocoreData() {
  if (process.env.BOTOCORE_DATA) return { dir: process.env.BOTOCORE_DATA, version: "(BOTOCORE_DATA)" };
  const out = execFileSync("python3", ["-c", "import botocore,os;print(os.path.dirname(botocore.__file__));print(botocore.__version__)"], {
    encoding: "utf8",
  });
  const [dir, version] = out.trim().split("\n");
  return { dir: join(dir, "data"), version };
}

function loadModel(dataDir, service) {
  const serviceDir = join(dataDir, service);
  if (!existsSync(serviceDir)) throw new Error(`no botocore model for service '${service}' in ${dataDir}`);
  const apiVersion = readdirSync(serviceDir).sort().at(-1);
  const base = join(serviceDir, apiVersion, "service-2.json");
  const text = existsSync(base) ? readFileSync(base, "utf8") : gunzipSync(readFileSync(base + ".gz")).toString("utf8");
  return { model: JSON.parse(text), source: `${service}/${apiVersion}/service-2.json` };
}

// Shapes reachable from operation inputs, in the model's (alphabetical) order.
function inputShapes(model) {
  const seen = new Set();
  const visit = (name) => {
    if (seen.has(name)) return;
    const shape = model.shapes[name];
    if (!shape) throw new Error(`unknown shape ${name}`);
    seen.add(name);
    for (const member of Object.values(shape.members ?? {})) visit(member.shape);
    for (const ref of [shape.member, shape.key, shape.value]) if (ref) visit(ref.shape);
  };
  for (const op of Object.values(model.operations)) if (op.input) visit(op.input.shape);
  return Object.keys(model.shapes).filter((name) => seen.has(name));
}

function compactShape(service, name, shape, warn) {
  if (!SHAPE_TYPES.has(shape.type)) throw new Error(`${name}: unsupported shape type ${shape.type}`);
  for (const key of Object.keys(shape)) {
    const known = ["type", "members", "required", "member", "key", "value", "min", "max", "enum", "pattern", "sensitive"];
    if (!known.includes(key) && !IGNORED_SHAPE_KEYS.has(key)) warn(`${name}: dropped shape key '${key}'`);
  }
  const out = { type: shape.type };
  if (shape.members) {
    out.members = {};
    for (const [member, ref] of Object.entries(shape.members)) {
      out.members[member] = ref.shape;
      for (const key of Object.keys(ref)) {
        if (!IGNORED_MEMBER_KEYS.has(key)) warn(`${name}.${member}: dropped member key '${key}'`);
      }
    }
  }
  if (shape.required?.length) out.required = shape.required;
  if (shape.member) out.member = shape.member.shape;
  if (shape.key) out.key = shape.key.shape;
  if (shape.value) out.value = shape.value.shape;
  if (shape.min !== undefined) out.min = shape.min;
  if (shape.max !== undefined) out.max = shape.max;
  if (shape.enum) {
    const order = ENUM_ORDER[service]?.[name];
    const sameSet = order && order.length === shape.enum.length && order.every((v) => shape.enum.includes(v));
    if (order && !sameSet) warn(`${name}: recorded enum order no longer matches the model's values; using model order`);
    out.enum = sameSet ? order : shape.enum;
  }
  if (shape.pattern !== undefined) {
    out.pattern = shape.pattern;
    if (!compileJavaPattern(shape.pattern)) warn(`${name}: pattern ${JSON.stringify(shape.pattern)} cannot be compiled; the validator skips it`);
  }
  if (shape.sensitive) out.sensitive = true;
  return out;
}

// A TypeScript object literal on one line, with bare keys where possible.
function literal(value) {
  if (Array.isArray(value)) return `[${value.map(literal).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).map(([k, v]) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k)}: ${literal(v)}`);
    return entries.length ? `{ ${entries.join(", ")} }` : "{}";
  }
  return JSON.stringify(value);
}

function render(service, model, source, botocoreVersion, warn) {
  const prefix = service.toUpperCase().replace(/[^A-Z0-9]/g, "_");
  const operations = Object.keys(model.operations);
  const metadata = {};
  for (const key of Object.keys(model.metadata)) {
    if (METADATA_KEYS.includes(key)) metadata[key] = model.metadata[key];
    else warn(`metadata: dropped key '${key}'`);
  }
  const lines = [
    `// This file is generated by \`node scripts/generate-model.mjs ${service}\` from botocore ${botocoreVersion}`,
    `// (${source}). Do not edit it by hand: change the script and regenerate.`,
    `import type { ServiceModel } from "./types.ts";`,
    ``,
    `/** The ${model.metadata.serviceId} operation names, in model order. */`,
    `export const ${prefix}_OPERATIONS = [`,
    ...operations.map((op) => `  ${JSON.stringify(op)},`),
    `] as const;`,
    ``,
    `/** The ${model.metadata.serviceId} API model: metadata, input shape per operation, and the shapes of all inputs. */`,
    `export const ${prefix}_MODEL: ServiceModel<(typeof ${prefix}_OPERATIONS)[number]> = {`,
    `  metadata: ${literal(metadata)},`,
    `  operations: {`,
    ...operations.map((op) => `    ${op}: ${JSON.stringify(model.operations[op].input?.shape ?? null)},`),
    `  },`,
    `  shapes: {`,
    ...inputShapes(model).map((name) => `    ${name}: ${literal(compactShape(service, name, model.shapes[name], warn))},`),
    `  },`,
    `};`,
    ``,
  ];
  return lines.join("\n");
}

function main(argv) {
  const check = argv.includes("--check");
  const services = argv.filter((a) => a !== "--check");
  if (services.length === 0 || services.some((s) => s.startsWith("-"))) {
    console.error("usage: node scripts/generate-model.mjs [--check] <service>...   (e.g. kms cloudtrail)");
    return 2;
  }
  const { dir: dataDir, version } = botocoreData();
  let stale = false;
  for (const service of services) {
    const warn = (message) => console.warn(`warning: ${service}: ${message}`);
    const { model, source } = loadModel(dataDir, service);
    const text = render(service, model, source, version, warn);
    const file = join(OUT_DIR, `${service}.generated.ts`);
    const relative = `src/model/${service}.generated.ts`;
    if (check) {
      const current = existsSync(file) ? readFileSync(file, "utf8") : "";
      if (current !== text) {
        console.error(`${relative} is out of date; run node scripts/generate-model.mjs ${service}`);
        stale = true;
      }
    } else {
      writeFileSync(file, text);
      console.log(`wrote ${relative} (${Object.keys(model.operations).length} operations)`);
    }
  }
  return stale ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
