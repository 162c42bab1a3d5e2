/**
 * The BinaryEquals condition operator: base64 policy values compared byte for byte. Without
 * Node's Buffer: the web console runs the policy parser in the browser too.
 */
import { PolicyParseError } from "../errors.ts";
import type { ConditionScalar } from "../types.ts";
import { operatorPair, type ConditionOperator, type ValueMatcher } from "./operator.ts";

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/u;

/** Bytes of base64 text that BASE64 accepted. */
function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

function requestBytes(value: ConditionScalar): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value;
  if (typeof value === "string" && BASE64.test(value)) return fromBase64(value);
  return undefined;
}

function compileBinary(values: readonly string[]): ValueMatcher {
  const wanted = values.map((text) => {
    if (!BASE64.test(text)) throw new PolicyParseError(`Condition value "${text}" is not valid base64 for BinaryEquals.`);
    return fromBase64(text);
  });
  return (value) => {
    const bytes = requestBytes(value);
    if (bytes === undefined) return undefined;
    return wanted.some((w) => sameBytes(w, bytes));
  };
}

/** The BinaryEquals operator. */
export const BINARY_OPERATORS: readonly ConditionOperator[] = operatorPair("BinaryEquals", undefined, compileBinary);
