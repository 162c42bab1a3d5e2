/**
 * The AWS Query protocol (IAM, STS): requests are form-encoded (`Action=CreateUser&
 * Version=2010-05-08&UserName=alice`, lists as `Tags.member.1.Key=…`, maps as
 * `X.entry.1.key=…`), responses are XML (`<CreateUserResponse><CreateUserResult>…
 * </CreateUserResult><ResponseMetadata><RequestId>…`), errors are `<ErrorResponse>` with
 * the error's Query code and AWS's HTTP status.
 *
 * Decoding turns the form into the same object shape an AWS JSON body would have, by
 * walking the operation's input shape in the model, so the shared model validator
 * (model/validate.ts) checks it with AWS's messages. Encoding needs no model: outputs
 * are the SDK response objects, whose lists become `<member>` elements.
 */
import { isoSeconds } from "../audit/times.ts";
import { AwsError, SerializationException, UnknownOperationException } from "../errors.ts";
import type { ServiceModel } from "../model/types.ts";
import { boundedOperationName, type WireProtocol } from "./apiService.ts";

/** The content type of Query requests. */
export const QUERY_CONTENT_TYPE = "application/x-www-form-urlencoded";
/** The content type of Query responses (AWS answers text/xml). */
export const XML_CONTENT_TYPE = "text/xml";

/** A form-encoded request body: parameter name → value (the first one wins if repeated). */
export type QueryForm = ReadonlyMap<string, string>;

/**
 * Parses a form-encoded body as URLSearchParams would (`&`-separated pairs, `+` as space,
 * `%XX` escapes, a `%` without two hex digits kept as it is), except that a name or value
 * whose bytes, once percent-decoded, are not UTF-8 is refused (SerializationException)
 * instead of decoded with U+FFFD: a lone surrogate would otherwise pass for U+FFFD.
 */
export function parseQueryForm(body: Buffer | string): QueryForm {
  if (typeof body === "string" && !body.isWellFormed()) throw notUtf8();
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  const form = new Map<string, string>();
  for (let start = 0; start < bytes.length; ) {
    const ampersand = bytes.indexOf(AMPERSAND, start);
    const end = ampersand < 0 ? bytes.length : ampersand;
    if (end > start) {
      const pair = bytes.subarray(start, end);
      const equals = pair.indexOf(EQUALS);
      const name = formText(equals < 0 ? pair : pair.subarray(0, equals));
      const value = equals < 0 ? "" : formText(pair.subarray(equals + 1));
      if (!form.has(name)) form.set(name, value);
    }
    start = end + 1;
  }
  return form;
}

const AMPERSAND = 0x26;
const EQUALS = 0x3d;
const PLUS = 0x2b;
const PERCENT = 0x25;
const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

// One form name or value: `+` and `%XX` decoded to bytes, then the bytes decoded as strict UTF-8.
function formText(encoded: Buffer): string {
  const decoded = Buffer.allocUnsafe(encoded.length);
  let length = 0;
  for (let i = 0; i < encoded.length; i++) {
    const byte = encoded[i] as number;
    const escaped = byte === PERCENT ? hexByte(encoded, i + 1) : -1;
    if (escaped >= 0) i += 2;
    decoded[length++] = escaped >= 0 ? escaped : byte === PLUS ? 0x20 : byte;
  }
  try {
    return STRICT_UTF8.decode(decoded.subarray(0, length));
  } catch {
    throw notUtf8();
  }
}

// The byte of the two hex digits at `at`, or -1 if there are not two hex digits there.
function hexByte(bytes: Buffer, at: number): number {
  if (at + 1 >= bytes.length) return -1;
  const high = hexDigit(bytes[at] as number);
  const low = hexDigit(bytes[at + 1] as number);
  return high < 0 || low < 0 ? -1 : high * 16 + low;
}

function hexDigit(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

function notUtf8(): AwsError {
  return new SerializationException("A parameter of the request is not valid UTF-8 once percent-decoded.");
}

/**
 * Builds the input object of `operation` from the form, following the model's input
 * shape: structures by `Parent.Member`, lists by `List.member.N`, maps by
 * `Map.entry.N.key`/`.value`; numbers and booleans converted from text (left as text if
 * they do not parse, so the validator reports them). Parameters the shape does not
 * name are ignored, as AWS does.
 */
export function formToInput(model: ServiceModel, operation: string, form: QueryForm): Record<string, unknown> {
  const shapeName = Object.hasOwn(model.operations, operation) ? (model.operations as Record<string, string | null>)[operation] : null;
  if (!shapeName) return {};
  const names = [...form.keys()];
  return (decodeShape(model, shapeName, "", form, names) as Record<string, unknown> | undefined) ?? {};
}

function decodeShape(model: ServiceModel, shapeName: string, prefix: string, form: QueryForm, names: string[]): unknown {
  const shape = model.shapes[shapeName];
  if (!shape) throw new Error(`model has no shape ${shapeName}`);
  switch (shape.type) {
    case "structure": {
      const out: Record<string, unknown> = {};
      for (const [member, target] of Object.entries(shape.members ?? {})) {
        const value = decodeShape(model, target, prefix === "" ? member : `${prefix}.${member}`, form, names);
        if (value !== undefined) out[member] = value;
      }
      return prefix !== "" && Object.keys(out).length === 0 ? undefined : out;
    }
    case "list": {
      const indexes = memberIndexes(names, `${prefix}.member.`);
      if (indexes.length === 0) return form.get(prefix) === "" ? [] : undefined;
      return indexes.map((n) => decodeShape(model, shape.member ?? "", `${prefix}.member.${n}`, form, names) ?? null);
    }
    case "map": {
      const indexes = memberIndexes(names, `${prefix}.entry.`);
      if (indexes.length === 0) return form.get(prefix) === "" ? {} : undefined;
      const out: Record<string, unknown> = {};
      for (const n of indexes) {
        const key = form.get(`${prefix}.entry.${n}.key`);
        if (key === undefined) continue;
        const value = decodeShape(model, shape.value ?? "", `${prefix}.entry.${n}.value`, form, names);
        Object.defineProperty(out, key, { value: value ?? null, enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    default: {
      const text = form.get(prefix);
      return text === undefined ? undefined : scalar(shape.type, text);
    }
  }
}

// The N of every `prefix N` or `prefix N.…` parameter, ascending and distinct.
function memberIndexes(names: string[], prefix: string): number[] {
  const found = new Set<number>();
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const rest = name.slice(prefix.length);
    const digits = /^([1-9][0-9]{0,5})(?:\.|$)/.exec(rest)?.[1];
    if (digits !== undefined) found.add(Number(digits));
  }
  return [...found].sort((a, b) => a - b);
}

function scalar(type: string, text: string): unknown {
  switch (type) {
    case "integer":
    case "long":
      return /^-?[0-9]{1,16}$/.test(text) ? Number(text) : text;
    case "double":
    case "float": {
      const n = Number(text);
      return text.trim() !== "" && Number.isFinite(n) ? n : text;
    }
    case "boolean":
      return text === "true" ? true : text === "false" ? false : text;
    default:
      return text; // strings, ISO 8601 timestamps and base64 blobs are text on the wire
  }
}

// ---------------------------------------------------------------------------------------
/**
 * The Query protocol as the pipeline speaks it (IAM, STS): the operation named by the form's
 * Action (for the form's Version, the model's when absent), the form as its members, XML answers.
 */
export const QUERY_PROTOCOL: WireProtocol<QueryForm> = {
  contentType: XML_CONTENT_TYPE,
  unknownOperation: (model, { operation, payload }) => {
    const { apiVersion } = model.metadata;
    const version = payload.get("Version") ?? apiVersion;
    if (version === apiVersion && Object.hasOwn(model.operations, operation)) return undefined;
    return new UnknownOperationException(`Could not find operation ${boundedOperationName(operation)} for version ${boundedOperationName(version)}`);
  },
  members: (model, { operation, payload }) => formToInput(model, operation, payload),
  serialize: (model, { operation }, output, requestId) => serializeQueryResponse(operation, xmlNamespaceOf(model), output ?? undefined, requestId),
  errorAnswer: (model, error, requestId) => ({ ...serializeQueryError(error, xmlNamespaceOf(model), requestId), contentType: XML_CONTENT_TYPE }),
  errorCode: (error) => queryErrorCode(error).code,
};

function xmlNamespaceOf(model: ServiceModel): string {
  return model.metadata.xmlNamespace ?? "";
}

// XML

/** The XML of a successful response. `output` undefined: an operation without a result. */
export function serializeQueryResponse(operation: string, xmlNamespace: string, output: object | undefined, requestId: string): string {
  const result = output === undefined ? "" : element(`${operation}Result`, output);
  return (
    `<${operation}Response xmlns="${escapeXml(xmlNamespace)}">${result}` +
    `<ResponseMetadata><RequestId>${escapeXml(requestId)}</RequestId></ResponseMetadata></${operation}Response>`
  );
}

/** The XML and HTTP status of an error response. */
export function serializeQueryError(error: AwsError, xmlNamespace: string, requestId: string): { status: number; body: string } {
  const { code, status } = queryErrorCode(error);
  const message = error.message === "" ? "" : `<Message>${escapeXml(error.message)}</Message>`;
  const body =
    `<ErrorResponse xmlns="${escapeXml(xmlNamespace)}"><Error><Type>${status >= 500 ? "Receiver" : "Sender"}</Type>` +
    `<Code>${escapeXml(code)}</Code>${message}</Error><RequestId>${escapeXml(requestId)}</RequestId></ErrorResponse>`;
  return { status, body };
}

/**
 * The shared errors (authentication, validation, protocol) are declared with their AWS
 * JSON names; Query services answer them under their Query codes and statuses.
 */
const QUERY_CODES: Readonly<Record<string, { code: string; status: number }>> = {
  UnrecognizedClientException: { code: "InvalidClientTokenId", status: 403 },
  InvalidSignatureException: { code: "SignatureDoesNotMatch", status: 403 },
  IncompleteSignatureException: { code: "IncompleteSignature", status: 400 },
  MissingAuthenticationTokenException: { code: "MissingAuthenticationToken", status: 403 },
  ExpiredTokenException: { code: "ExpiredToken", status: 403 },
  AccessDeniedException: { code: "AccessDenied", status: 403 },
  ValidationException: { code: "ValidationError", status: 400 },
  SerializationException: { code: "ValidationError", status: 400 },
  UnknownOperationException: { code: "InvalidAction", status: 400 },
  ThrottlingException: { code: "Throttling", status: 400 },
  KMSInternalException: { code: "InternalFailure", status: 500 },
  ServiceUnavailableException: { code: "ServiceUnavailable", status: 503 },
};

/** The Query code and status of an error. */
export function queryErrorCode(error: AwsError): { code: string; status: number } {
  return QUERY_CODES[error.code] ?? { code: error.code, status: error.status };
}

function element(name: string, value: unknown): string {
  if (value === undefined || value === null) return "";
  if (Array.isArray(value)) return `<${name}>${value.map((item) => element("member", item)).join("")}</${name}>`;
  // ISO 8601 in whole seconds, as IAM and STS show times (`2024-05-01T12:00:00Z`), the format of CloudTrail's eventTime.
  if (value instanceof Date) return `<${name}>${isoSeconds(value.getTime())}</${name}>`;
  if (typeof value === "object") {
    const inner = Object.entries(value as Record<string, unknown>)
      .map(([key, child]) => element(key, child))
      .join("");
    return `<${name}>${inner}</${name}>`;
  }
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

const XML_ESCAPES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;", "\r": "&#xD;" };

/**
 * Escapes text for XML content and attributes. Characters XML 1.0 cannot carry at all
 * (most C0 controls, lone surrogates) become U+FFFD; a carriage return is escaped so
 * XML's newline normalization does not drop it.
 */
export function escapeXml(text: string): string {
  return text.replace(NOT_XML, "\uFFFD").replace(/[&<>"'\r]/g, (ch) => XML_ESCAPES[ch] ?? ch);
}

// C0 controls other than tab, newline and carriage return; U+FFFE/U+FFFF; lone surrogates.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

