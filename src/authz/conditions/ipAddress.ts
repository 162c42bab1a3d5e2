/**
 * IpAddress and NotIpAddress: IPv4 and IPv6 CIDR blocks (a bare address is a /32 or
 * /128). IPv4-mapped IPv6 request addresses (`::ffff:10.0.0.1`) compare as IPv4.
 */
import { isIPv4, isIPv6 } from "node:net";
import { PolicyParseError } from "../errors.ts";
import { operatorPair, type ConditionOperator, type ValueMatcher } from "./operator.ts";

/** A parsed address: its bytes (4 or 16). */
export function parseIp(text: string): Uint8Array | undefined {
  if (isIPv4(text)) return Uint8Array.from(text.split(".").map(Number));
  if (!isIPv6(text)) return undefined;
  const bytes = ipv6Bytes(text);
  // ::ffff:a.b.c.d is an IPv4 address in IPv6 clothing.
  const mapped = bytes.subarray(0, 12).every((b, i) => (i < 10 ? b === 0 : b === 0xff));
  return mapped ? bytes.slice(12) : bytes;
}

function ipv6Bytes(text: string): Uint8Array {
  let address = text;
  const tail: number[] = [];
  const lastColon = address.lastIndexOf(":");
  const maybeV4 = address.slice(lastColon + 1);
  if (isIPv4(maybeV4)) {
    const [a = 0, b = 0, c = 0, d = 0] = maybeV4.split(".").map(Number);
    tail.push((a << 8) | b, (c << 8) | d);
    address = address.slice(0, lastColon + 1) + "0";
  }
  const [head = "", rest] = address.split("::");
  const headGroups = head === "" ? [] : head.split(":");
  const restGroups = rest === undefined || rest === "" ? [] : rest.split(":");
  const groups = headGroups.map((g) => parseInt(g, 16));
  const after = restGroups.map((g) => parseInt(g, 16));
  if (tail.length > 0) {
    (after.length > 0 ? after : groups).pop();
  }
  const fill = 8 - groups.length - after.length - tail.length;
  const all = [...groups, ...new Array<number>(Math.max(fill, 0)).fill(0), ...after, ...tail];
  const bytes = new Uint8Array(16);
  all.forEach((g, i) => {
    bytes[i * 2] = g >> 8;
    bytes[i * 2 + 1] = g & 0xff;
  });
  return bytes;
}

interface Block {
  readonly bytes: Uint8Array;
  readonly prefix: number;
}

function parseBlock(text: string): Block | undefined {
  const slash = text.indexOf("/");
  const bytes = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (bytes === undefined) return undefined;
  const max = bytes.length * 8;
  if (slash < 0) return { bytes, prefix: max };
  const prefixText = text.slice(slash + 1);
  const prefix = Number(prefixText);
  if (!/^\d{1,3}$/u.test(prefixText) || prefix > max) return undefined;
  return { bytes, prefix };
}

function inBlock(address: Uint8Array, block: Block): boolean {
  if (address.length !== block.bytes.length) return false;
  let bits = block.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((address[i] ?? 0) & mask) !== ((block.bytes[i] ?? 0) & mask)) return false;
  }
  return true;
}

function compileIp(values: readonly string[]): ValueMatcher {
  const blocks = values.map((text) => {
    const block = parseBlock(text.trim());
    if (block === undefined) throw new PolicyParseError(`Condition value "${text}" is not a valid IP address or CIDR block.`);
    return block;
  });
  return (value) => {
    if (typeof value !== "string") return undefined;
    const address = parseIp(value.trim());
    if (address === undefined) return undefined;
    return blocks.some((block) => inBlock(address, block));
  };
}

/** The IP address operators. */
export const IP_OPERATORS: readonly ConditionOperator[] = operatorPair("IpAddress", "NotIpAddress", compileIp);
