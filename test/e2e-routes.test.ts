/**
 * The route tables: only the routes listed here answer without the API pipeline (probes, the
 * seal's operator endpoints, --dev's endpoints, later the console's files), and every other
 * request goes through authentication and the audit trail, whatever its service, method or
 * path; a GET of a path that does not exist is a plain 404, not an API call. A sealed node
 * keeps to the same rules.
 */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { after, before, describe, it } from "node:test";
import { OPERATOR_ROUTES, SEALED_ROUTES } from "../src/seal/sealedFront.ts";
import { API_SERVICES } from "../src/server/pipeline.ts";
import { NODE_ROUTES, type Route } from "../src/server/routes.ts";
import { storedEvents } from "./support/audit.ts";
import { rawRequest, startKmsd, type Kmsd, type RawResponse } from "./support/kmsd.ts";
import { initShamir } from "./support/seal.ts";

/** A route as one line: kind, method, path. */
function lines<State>(table: readonly Route<State>[]): string[] {
  return table.map((route) => `${route.kind} ${route.method} ${route.path}${route.subtree ? "/*" : ""}`);
}

/** The error code of an answer, JSON or Query XML. */
function errorCodeOf(response: RawResponse): string | undefined {
  return /"__type"\s*:\s*"([^"]+)"/.exec(response.body)?.[1] ?? /<Code>([^<]+)<\/Code>/.exec(response.body)?.[1];
}

describe("routes: which requests may skip authentication and the audit trail", () => {
  it("the route tables hold exactly the unaudited routes listed here", () => {
    assert.deepEqual(lines(NODE_ROUTES), ["probe GET /health", "probe GET /ready", "dev POST /kmsd/dev/clock", "dev POST /kmsd/dev/reset", "console * /console/*"]);
    assert.deepEqual(lines(OPERATOR_ROUTES), [
      "operator GET /kmsd/operator/seal-status",
      "operator POST /kmsd/operator/unseal",
      "operator POST /kmsd/operator/seal",
      "operator POST /kmsd/operator/rotate-root",
      "operator POST /kmsd/operator/rekey",
    ]);
    assert.deepEqual(lines(SEALED_ROUTES), ["probe GET /health", "probe GET /ready"]);
  });

  describe("a serving node (--dev)", () => {
    let kmsd: Kmsd;
    before(async () => {
      kmsd = await startKmsd({ dev: true });
    });
    after(() => kmsd.dispose());

    /** Sends `request`, then a signed call whose commit comes after any event the first could have left; returns the answer and the events it left. */
    const eventsLeftBy = async (request: Parameters<typeof rawRequest>[1]) => {
      const before = storedEvents(kmsd.dataDir).length;
      const response = await rawRequest(kmsd.endpoint, request);
      const marker = await rawRequest(kmsd.endpoint, { target: "TrentService.ListKeys", body: "{}", sign: { credentials: kmsd.credentials } });
      assert.equal(marker.status, 200);
      return { response, events: storedEvents(kmsd.dataDir).length - before - 1 };
    };

    // One row per service and X-Amz-Target prefix, derived from the pipeline's own table: a service added there is checked here.
    const wrongSecret = () => ({ credentials: { ...kmsd.credentials, secretAccessKey: "not-the-secret" } });
    const apiCalls = Object.values(API_SERVICES).flatMap((service) => {
      const operation = [...service.handlers.keys()][0] ?? "";
      const signing = (body: string, target?: string) => ({ body, ...(target ? { target } : {}), sign: { ...wrongSecret(), service: service.name } });
      if (service.targetPrefixes === undefined) {
        const form = `Action=${operation}&Version=${service.model.metadata.apiVersion}`;
        return [{ name: `${service.name} ${operation}`, service: service.name, request: () => ({ ...signing(form), headers: { "content-type": "application/x-www-form-urlencoded" } }) }];
      }
      return service.targetPrefixes.map((prefix) => ({ name: `${prefix}${operation}`, service: service.name, request: () => signing("{}", `${prefix}${operation}`) }));
    });

    for (const call of apiCalls) {
      it(`${call.name}: authenticated (a wrong signature is refused) and recorded as ${call.service}'s`, async () => {
        const response = await rawRequest(kmsd.endpoint, call.request());
        assert.match(String(errorCodeOf(response)), /^(InvalidSignatureException|SignatureDoesNotMatch)$/, response.body);
        const [event] = storedEvents(kmsd.dataDir, String(response.headers["x-amzn-requestid"]));
        assert.equal(event?.record.eventSource, `${call.service}.amazonaws.com`);
        assert.equal(event?.record.errorCode, errorCodeOf(response));
      });
    }

    for (const [name, request, code] of [
      ["a POST of an unknown target", { target: "TrentService.MakeCoffee", body: "{}" }, "UnknownOperationException"],
      ["a POST to a path other than /", { path: "/foo", target: "TrentService.ListKeys", body: "{}" }, "UnknownOperationException"],
      ["a POST to a probe's path", { path: "/health", body: "{}" }, "UnknownOperationException"],
      ["a PUT of /", { method: "PUT", target: "TrentService.ListKeys", body: "{}" }, "UnknownOperationException"],
      ["a GET of /", { method: "GET", target: "TrentService.ListKeys" }, "UnknownOperationException"],
    ] as const) {
      it(`${name} reaches the API: ${code}, recorded`, async () => {
        const { response, events } = await eventsLeftBy(request);
        assert.equal(response.status, 400);
        assert.equal(errorCodeOf(response), code);
        assert.equal(events, 1);
        assert.equal(storedEvents(kmsd.dataDir, String(response.headers["x-amzn-requestid"])).length, 1);
      });
    }

    for (const path of ["/nothing", "/console-not/", "/kmsd/dev/clock", "/health/", "/kmsd/operator/seal"]) {
      for (const method of ["GET", "HEAD"]) {
        it(`a ${method} of ${path} is a plain 404, not recorded`, async () => {
          const { response, events } = await eventsLeftBy({ method, path });
          assert.equal(response.status, 404);
          assert.match(String(response.headers["content-type"]), /^text\/plain/);
          assert.equal(events, 0);
        });
      }
    }

    // Every route of the tables that a serving node answers, each not recorded.
    for (const [line, request] of [
      ["probe GET /health", { method: "GET", path: "/health" }],
      ["probe GET /ready", { method: "GET", path: "/ready" }],
      ["dev POST /kmsd/dev/clock", { path: "/kmsd/dev/clock", body: JSON.stringify({ advanceSeconds: 1 }) }],
      ["dev POST /kmsd/dev/reset", { path: "/kmsd/dev/reset", body: JSON.stringify({ AccountId: "000000000000" }) }],
      ["console * /console/*", { method: "GET", path: "/console/" }],
      ["operator GET /kmsd/operator/seal-status", { method: "GET", path: "/kmsd/operator/seal-status" }],
      ["operator POST /kmsd/operator/unseal", { path: "/kmsd/operator/unseal", body: "{}" }],
      ["operator POST /kmsd/operator/seal", { path: "/kmsd/operator/seal", body: "{}" }],
      ["operator POST /kmsd/operator/rotate-root", { path: "/kmsd/operator/rotate-root", body: "{}" }],
      ["operator POST /kmsd/operator/rekey", { path: "/kmsd/operator/rekey", body: "{}" }],
    ] as const) {
      it(`${line} answers without an audit record`, async () => {
        assert.ok([...lines(NODE_ROUTES), ...lines(OPERATOR_ROUTES)].includes(line));
        const { response, events } = await eventsLeftBy(request);
        assert.ok(response.status < 500, `${response.status} ${response.body}`);
        assert.equal(events, 0);
      });
    }
  });

  describe("a sealed node", () => {
    let kmsd: Kmsd;
    let dataDir: string;
    before(async () => {
      ({ dataDir } = await initShamir(3, 2));
      kmsd = await startKmsd({ dataDir });
    });
    after(async () => {
      await kmsd.stop();
      rmSync(dirname(dataDir), { recursive: true, force: true });
    });

    it("answers a GET of a path that does not exist with a plain 404, and refuses any other request with the API's 503", async () => {
      const missing = await rawRequest(kmsd.endpoint, { method: "GET", path: "/nothing" });
      assert.equal(missing.status, 404);
      assert.match(String(missing.headers["content-type"]), /^text\/plain/);
      for (const request of [{ path: "/nothing", body: "{}" }, { target: "TrentService.ListKeys", body: "{}" }, { method: "GET", target: "TrentService.ListKeys" }]) {
        const refused = await rawRequest(kmsd.endpoint, request);
        assert.equal(refused.status, 503);
        assert.equal(errorCodeOf(refused), "ServiceUnavailableException");
      }
    });
  });
});
