/**
 * The AWS JSON 1.1 wire format: request bodies are JSON objects, blobs travel as
 * base64 and timestamps as epoch seconds; errors are `{"__type": ..., "message": ...}`.
 */
import { isUtf8 } from "node:buffer";
import { SerializationException, UnknownOperationException } from "../errors.ts";
import { parsedJsonWellFormed } from "../unicode.ts";
import { boundedOperationName, type WireProtocol } from "./apiService.ts";

/** The content type of every AWS JSON 1.1 request and response. */
export const JSON_CONTENT_TYPE = "application/x-amz-json-1.1";

/**
 * Parses a request body; an empty body is an empty input. A body that is not UTF-8, not JSON,
 * or holds a string that is not valid Unicode (a lone surrogate escape such as `"\ud800"`) is
 * a SerializationException: every string of every operation's input is checked here, once,
 * so none can reach an encryption context, a grant, a tag or a policy as U+FFFD in disguise.
 */
export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) return {};
  // Checked before decoding: toString("utf8") would silently turn bad bytes into U+FFFD.
  if (!isUtf8(body)) throw new SerializationException("The request body is not valid UTF-8.");
  const text = body.toString("utf8");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new SerializationException("Unexpected character in the request body: it is not valid JSON.");
  }
  if (!parsedJsonWellFormed(text, parsed)) {
    throw new SerializationException("A string in the request body is not valid Unicode: it holds an unpaired surrogate.");
  }
  return parsed;
}

/** Serialises an operation's output: bytes as base64, dates as epoch seconds. */
export function serializeOutput(output: unknown): string {
  return JSON.stringify(output, function (this: Record<string, unknown>, key: string, value: unknown) {
    const original = key === "" ? value : this[key];
    if (original instanceof Uint8Array) return Buffer.from(original.buffer, original.byteOffset, original.length).toString("base64");
    if (original instanceof Date) return original.getTime() / 1000;
    return value;
  });
}

/**
 * The body of an error response. AWS sends no `message` member at all for errors that
 * have none (InvalidCiphertextException from Decrypt, for one), not an empty string.
 */
export function serializeError(code: string, message: string): string {
  return JSON.stringify(message === "" ? { __type: code } : { __type: code, message });
}

/** AWS JSON 1.1 as the pipeline speaks it (KMS, CloudTrail): the operation named by X-Amz-Target, the body as its members. */
export const JSON_PROTOCOL: WireProtocol<Buffer> = {
  contentType: JSON_CONTENT_TYPE,
  unknownOperation: (model, { operation }) =>
    Object.hasOwn(model.operations, operation) ? undefined : new UnknownOperationException(`Unknown operation ${boundedOperationName(operation)}`),
  members: (_model, call) => parseJsonBody(call.payload),
  serialize: (_model, _call, output) => serializeOutput(output ?? {}),
  errorAnswer: (_model, error) => ({ status: error.status, body: serializeError(error.code, error.message), contentType: JSON_CONTENT_TYPE }),
  errorCode: (error) => error.code,
};
