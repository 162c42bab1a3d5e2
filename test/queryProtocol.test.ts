// The AWS Query protocol codec (src/server/queryProtocol.ts): forms to model-shaped
// inputs (then checked by the shared validator), XML responses and XML errors.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  AwsError,
  ExpiredTokenException,
  InvalidSignatureException,
  KMSInternalException,
  UnrecognizedClientException,
  ValidationException,
} from "../src/errors.ts";
import { IAM_MODEL } from "../src/model/iam.generated.ts";
import { STS_MODEL } from "../src/model/sts.generated.ts";
import type { ServiceModel } from "../src/model/types.ts";
import { decodeInput } from "../src/model/validate.ts";
import { isoSeconds } from "../src/audit/times.ts";
import { NoSuchEntity } from "../src/services/iam/errors.ts";
import {
  escapeXml,
  formToInput,
  parseQueryForm,
  serializeQueryError,
  serializeQueryResponse,
} from "../src/server/queryProtocol.ts";

const IAM_NS = "https://iam.amazonaws.com/doc/2010-05-08/";

/** The form of a body, decoded against `model` for `operation` and validated. */
function decode(model: ServiceModel, operation: string, body: string): Record<string, unknown> {
  return decodeInput(model, operation, formToInput(model, operation, parseQueryForm(body)));
}

function thrown(fn: () => unknown): AwsError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AwsError) return error;
    throw error;
  }
  throw new Error("expected an AwsError");
}

void describe("Query protocol: requests", () => {
  void it("parses form encoding (percent escapes, + as space, the first of repeated names)", () => {
    const form = parseQueryForm(Buffer.from("Action=CreateUser&UserName=a%2Bb&Path=%2Fx+y%2F&UserName=second"));
    assert.deepEqual([...form], [["Action", "CreateUser"], ["UserName", "a+b"], ["Path", "/x y/"]]);
  });

  void it("decodes forms as URLSearchParams does: empty pairs, missing '=', stray '%', raw and escaped UTF-8", () => {
    const bodies = ["", "&&a=1&&", "a&b=&=c", "a=%zz&b=%4&c=%&d=100%25", "a=caf%C3%A9+%E2%82%AC&b=\u00e9&%F0%9F%98%80=%ef%bf%bd", "a=b=c&a=d"];
    for (const body of bodies) {
      const pairs = [...new URLSearchParams(body)];
      const firstOfEachName = pairs.filter(([name], i) => pairs.findIndex(([other]) => other === name) === i);
      assert.deepEqual([...parseQueryForm(Buffer.from(body))], firstOfEachName, body);
    }
  });

  void it("refuses a name or value that is not UTF-8, raw or once percent-decoded (a lone surrogate is never U+FFFD)", () => {
    const bad: Buffer[] = [
      Buffer.from("PolicyDocument=%ED%A0%80"), // a surrogate, CESU-8 encoded
      Buffer.from("PolicyDocument=%C0%80"), // overlong
      Buffer.from("PolicyDocument=%E2%82"), // truncated
      Buffer.from("Policy%FFDocument=x"), // in a name
      Buffer.from("a=%C3&b=%A9"), // a sequence split across two parameters
      Buffer.concat([Buffer.from("PolicyDocument="), Buffer.from([0xed, 0xa0, 0x80])]), // raw bytes
    ];
    for (const body of bad) {
      const error = thrown(() => parseQueryForm(body));
      assert.equal(error.code, "SerializationException", body.toString("latin1"));
      assert.match(error.message, /not valid UTF-8/);
    }
    assert.equal(thrown(() => parseQueryForm("a=\ud800")).code, "SerializationException");
    // A raw lead byte completed by escaped continuation bytes is UTF-8 once decoded, as URLSearchParams reads bytes.
    assert.equal(parseQueryForm(Buffer.concat([Buffer.from("a="), Buffer.from([0xc3]), Buffer.from("%A9")])).get("a"), "é");
  });

  void it("builds structures, lists of structures and scalars from the model's input shape", () => {
    const input = decode(
      IAM_MODEL,
      "CreateUser",
      "Action=CreateUser&Version=2010-05-08&UserName=alice&Path=%2Fteam%2F&Tags.member.2.Key=b&Tags.member.2.Value=2&Tags.member.1.Key=a&Tags.member.1.Value=1&Unknown=ignored",
    );
    assert.deepEqual(input, { Path: "/team/", UserName: "alice", Tags: [{ Key: "a", Value: "1" }, { Key: "b", Value: "2" }] });
  });

  void it("converts integers and booleans, and takes an empty list parameter as an empty list", () => {
    assert.deepEqual(decode(IAM_MODEL, "ListPolicies", "Action=ListPolicies&MaxItems=25&OnlyAttached=true&Scope=Local"), {
      Scope: "Local",
      OnlyAttached: true,
      MaxItems: 25,
    });
    assert.deepEqual(decode(IAM_MODEL, "CreateUser", "UserName=u&Tags="), { UserName: "u", Tags: [] });
  });

  void it("reads lists of structures with lower-case members (STS PolicyArns.member.N.arn)", () => {
    const input = decode(
      STS_MODEL,
      "AssumeRole",
      "RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fr&RoleSessionName=s1&PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3A111122223333%3Apolicy%2Fp&DurationSeconds=900",
    );
    assert.deepEqual(input, {
      RoleArn: "arn:aws:iam::111122223333:role/r",
      RoleSessionName: "s1",
      PolicyArns: [{ arn: "arn:aws:iam::111122223333:policy/p" }],
      DurationSeconds: 900,
    });
  });

  void it("reads maps as entry.N.key / entry.N.value", () => {
    const model: ServiceModel = {
      metadata: { apiVersion: "1", endpointPrefix: "x", protocol: "query", serviceId: "X", serviceFullName: "X", signatureVersion: "v4" },
      operations: { Op: "OpRequest" },
      shapes: {
        OpRequest: { type: "structure", members: { Attributes: "Attrs" } },
        Attrs: { type: "map", key: "S", value: "S" },
        S: { type: "string" },
      },
    };
    assert.deepEqual(decode(model, "Op", "Attributes.entry.1.key=k1&Attributes.entry.1.value=v1&Attributes.entry.2.key=k2&Attributes.entry.2.value=v2"), {
      Attributes: { k1: "v1", k2: "v2" },
    });
  });

  void it("leaves what does not parse for the validator, which answers with AWS's messages", () => {
    const notNumber = thrown(() => decode(IAM_MODEL, "ListUsers", "MaxItems=ten"));
    assert.equal(notNumber.code, "SerializationException");
    const tooSmall = thrown(() => decode(IAM_MODEL, "ListUsers", "MaxItems=0"));
    assert.equal(tooSmall.code, "ValidationException");
    assert.equal(
      tooSmall.message,
      "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
    const missing = thrown(() => decode(IAM_MODEL, "CreateUser", "Path=%2F"));
    assert.equal(missing.message, "1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null");
  });

  void it("gives an operation without input, or an unknown one, an empty input", () => {
    assert.deepEqual(formToInput(STS_MODEL, "GetCallerIdentity", parseQueryForm("Action=GetCallerIdentity")), {});
    assert.deepEqual(formToInput(STS_MODEL, "toString", parseQueryForm("Action=toString")), {});
  });
});

void describe("Query protocol: responses", () => {
  void it("wraps a result in <XResponse><XResult> with ResponseMetadata, lists as <member>, times in ISO 8601 seconds", () => {
    const xml = serializeQueryResponse(
      "ListUsers",
      IAM_NS,
      {
        Users: [
          { UserName: "a&b", CreateDate: new Date("2024-05-01T12:00:00.123Z"), Tags: undefined },
          { UserName: "<c>", CreateDate: new Date(0) },
        ],
        IsTruncated: false,
      },
      "req-1",
    );
    assert.equal(
      xml,
      `<ListUsersResponse xmlns="${IAM_NS}"><ListUsersResult><Users>` +
        "<member><UserName>a&amp;b</UserName><CreateDate>2024-05-01T12:00:00Z</CreateDate></member>" +
        "<member><UserName>&lt;c&gt;</UserName><CreateDate>1970-01-01T00:00:00Z</CreateDate></member>" +
        "</Users><IsTruncated>false</IsTruncated></ListUsersResult>" +
        "<ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></ListUsersResponse>",
    );
  });

  void it("has no Result element for operations without output", () => {
    assert.equal(
      serializeQueryResponse("DeleteUser", IAM_NS, undefined, "r"),
      `<DeleteUserResponse xmlns="${IAM_NS}"><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DeleteUserResponse>`,
    );
  });

  void it("escapes markup, keeps carriage returns and replaces what XML cannot carry", () => {
    assert.equal(escapeXml(`a<b>&"c'`), "a&lt;b&gt;&amp;&quot;c&apos;");
    assert.equal(escapeXml("x\r\ny\tz"), "x&#xD;\ny\tz");
    assert.equal(escapeXml("\u0000\u001f\uffff\ud800!"), "\ufffd\ufffd\ufffd\ufffd!");
    assert.equal(escapeXml("\ud83d\ude00"), "\ud83d\ude00");
    assert.equal(isoSeconds(Date.parse("2030-01-02T03:04:05.999Z")), "2030-01-02T03:04:05Z");
  });
});

void describe("Query protocol: errors", () => {
  const error = (e: AwsError) => serializeQueryError(e, IAM_NS, "rid");

  void it("writes <ErrorResponse> with Type, Code, Message and RequestId, at the error's status", () => {
    assert.deepEqual(error(new NoSuchEntity("The user with name <x> cannot be found.")), {
      status: 404,
      body:
        `<ErrorResponse xmlns="${IAM_NS}"><Error><Type>Sender</Type><Code>NoSuchEntity</Code>` +
        "<Message>The user with name &lt;x&gt; cannot be found.</Message></Error><RequestId>rid</RequestId></ErrorResponse>",
    });
  });

  void it("answers the shared errors under their Query codes and statuses", () => {
    const codeOf = (e: AwsError) => {
      const { status, body } = error(e);
      return [status, /<Code>([^<]*)<\/Code>/.exec(body)?.[1], /<Type>([^<]*)<\/Type>/.exec(body)?.[1]];
    };
    assert.deepEqual(codeOf(new UnrecognizedClientException("x")), [403, "InvalidClientTokenId", "Sender"]);
    assert.deepEqual(codeOf(new InvalidSignatureException("x")), [403, "SignatureDoesNotMatch", "Sender"]);
    assert.deepEqual(codeOf(new ExpiredTokenException("x")), [403, "ExpiredToken", "Sender"]);
    assert.deepEqual(codeOf(new ValidationException("x")), [400, "ValidationError", "Sender"]);
    assert.deepEqual(codeOf(new KMSInternalException("x")), [500, "InternalFailure", "Receiver"]);
  });

  void it("leaves Message out when the error has none", () => {
    assert.doesNotMatch(error(new AwsError("Throttling", "", 400)).body, /<Message>/);
  });
});
