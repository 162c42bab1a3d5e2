/**
 * The AWS JSON 1.1 wire format: request bodies are JSON objects, blobs travel as
 * base64 and timestamps as epoch seconds; errors are `{"__type": ..., "message": ...}`.
 */
import { SerializationException } from "../errors.ts";

/** The content type of every AWS JSON 1.1 request and response. */
export const JSON_CONTENT_TYPE = "application/x-amz-json-1.1";

/** Parses a request body; an empty body is an empty input, anything but a JSON object is a SerializationException. */
export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    throw new SerializationException("Unexpected character in the request body: it is not valid JSON.");
  }
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
