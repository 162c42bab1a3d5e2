// The policy engine's behaviour, kept as data: every case of every JSON fixture in
// test/fixtures/authz/ is run here. A case either evaluates a request (Given principal,
// policies and grants, When it performs an action, Then the decision, reason and AWS's
// AccessDenied message are as expected) or parses a policy document (Then AWS would
// refuse it with the given message, or accept it naming the given principals).
// Shared principals live in test/fixtures/authz/shared/principals.json.
// (`void`: node:test returns promises that the runner itself awaits.)
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  accessDeniedMessage,
  evaluate,
  kmsRequestContext,
  parsePolicy,
  PolicyParseError,
  policyPrincipals,
  type AuthzPrincipal,
  type CompiledPolicy,
  type ConditionValue,
  type GrantLike,
  type KmsRequestFacts,
  type PolicyKind,
} from "../src/authz/index.ts";

const FIXTURES = join(import.meta.dirname, "fixtures", "authz");

type Document = string | Record<string, unknown>;

interface EvaluationCase {
  name: string;
  principal: string | AuthzPrincipal;
  action: string;
  resource: string;
  resourceAccount?: string;
  context?: Record<string, ConditionValue>;
  kms?: KmsRequestFacts;
  policies?: { key?: Document; identity?: Document[]; session?: Document[] };
  grants?: GrantLike[];
  expect: { allowed: boolean; reason: string; deniedBy?: string; allowedBy?: string; message?: string };
}

interface ParseCase {
  name: string;
  parse: { kind: PolicyKind; document?: Document; padBytes?: number; maxBytes?: number };
  expect: { error?: string; principals?: string[] };
}

interface FixtureFile {
  description: string;
  defaults?: Partial<EvaluationCase>;
  cases: (EvaluationCase | ParseCase)[];
}

const principals = JSON.parse(readFileSync(join(FIXTURES, "shared", "principals.json"), "utf8")) as Record<string, AuthzPrincipal>;

function principalOf(spec: string | AuthzPrincipal): AuthzPrincipal {
  if (typeof spec !== "string") return spec;
  const principal = principals[spec];
  assert.ok(principal, `unknown principal "${spec}" in shared/principals.json`);
  return principal;
}

function compile(doc: Document, kind: PolicyKind, padBytes?: number, maxBytes?: number): CompiledPolicy {
  if (typeof doc === "string") return parsePolicy(doc, kind, { maxBytes });
  const padded = padBytes === undefined ? doc : { ...doc, Id: "x".repeat(padBytes) };
  return parsePolicy(JSON.stringify(padded), kind, { maxBytes });
}

function runEvaluation(c: EvaluationCase): void {
  const request = {
    principal: principalOf(c.principal),
    action: c.action,
    resource: c.resource,
    resourceAccount: c.resourceAccount,
    context: { ...(c.kms ? kmsRequestContext(c.kms) : {}), ...c.context },
  };
  const decision = evaluate(request, {
    resourcePolicy: c.policies?.key === undefined ? undefined : compile(c.policies.key, "resource"),
    identityPolicies: (c.policies?.identity ?? []).map((doc) => compile(doc, "identity")),
    sessionPolicies: c.policies?.session?.map((doc) => compile(doc, "session")),
    grants: c.grants,
  });
  const { message, ...expected } = c.expect;
  const actual: Record<string, unknown> = { allowed: decision.allowed, reason: decision.reason };
  if (expected.deniedBy !== undefined) actual["deniedBy"] = decision.deniedBy;
  if (expected.allowedBy !== undefined) actual["allowedBy"] = decision.allowedBy;
  assert.deepEqual(actual, expected);
  if (message !== undefined) assert.equal(accessDeniedMessage(request, decision), message);
}

function runParse(c: ParseCase): void {
  const { kind, document, padBytes, maxBytes } = c.parse;
  assert.ok(document !== undefined, "a parse case needs a document");
  if (c.expect.error !== undefined) {
    assert.throws(
      () => compile(document, kind, padBytes, maxBytes),
      (error: unknown) => error instanceof PolicyParseError && error.message.includes(c.expect.error ?? ""),
      `expected PolicyParseError containing "${c.expect.error}"`,
    );
    return;
  }
  const policy = compile(document, kind, padBytes, maxBytes);
  if (c.expect.principals !== undefined) {
    assert.deepEqual(policyPrincipals(policy).map((p) => p.arn).sort(), [...c.expect.principals].sort());
  }
}

const files = readdirSync(FIXTURES).filter((name) => name.endsWith(".json")).sort();

void describe("authorization fixtures", () => {
  void it("has fixtures to run", () => assert.ok(files.length > 0));
  for (const file of files) {
    const fixture = JSON.parse(readFileSync(join(FIXTURES, file), "utf8")) as FixtureFile;
    void describe(`${file}: ${fixture.description}`, () => {
      for (const raw of fixture.cases) {
        if ("parse" in raw) {
          void it(raw.name, () => runParse(raw));
        } else {
          const c = { ...fixture.defaults, ...raw } as EvaluationCase;
          void it(c.name, () => runEvaluation(c));
        }
      }
    });
  }
});
