/** The BinaryEquals condition operator: base64 policy values compared byte for byte. */
import { PolicyParseError } from "../errors.ts";
import type { ConditionScalar } from "../types.ts";
import { operatorPair, type ConditionOperator, type ValueMatcher } from "./operator.ts";

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/u;

function requestBytes(value: ConditionScalar): Buffer | undefined {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === "string" && BASE64.test(value)) return Buffer.from(value, "base64");
  return undefined;
}

function compileBinary(values: readonly string[]): ValueMatcher {
  const wanted = values.map((text) => {
    if (!BASE64.test(text)) throw new PolicyParseError(`Condition value "${text}" is not valid base64 for BinaryEquals.`);
    return Buffer.from(text, "base64");
  });
  return (value) => {
    const bytes = requestBytes(value);
    if (bytes === undefined) return undefined;
    return wanted.some((w) => w.equals(bytes));
  };
}

/** The BinaryEquals operator. */
export const BINARY_OPERATORS: readonly ConditionOperator[] = operatorPair("BinaryEquals", undefined, compileBinary);
