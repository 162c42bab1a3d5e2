/**
 * node:net's isIPv4 and isIPv6 for the browser bundle: the policy parser the console shares
 * with the server (src/authz) validates IpAddress conditions with them, and the browser has no
 * node:net. scripts/build-console.ts and console/tsconfig.json point "node:net" here; a test
 * (test/console-keys.test.ts) checks that both answer as Node's do.
 */

const OCTET = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]\\d|\\d)";
const IPV4 = `${OCTET}(?:\\.${OCTET}){3}`;
const IPV4_ONLY = new RegExp(`^${IPV4}$`);
const GROUP = /^[0-9a-fA-F]{1,4}$/;
// A zone index (fe80::1%eth0), which Node accepts.
const ZONE = /%[0-9a-zA-Z.:-]+$/;

/** Whether `text` is an IPv4 address in dotted decimal (no leading zeros). */
export function isIPv4(text: string): boolean {
  return IPV4_ONLY.test(text);
}

/** Whether `text` is an IPv6 address in any of RFC 4291's text forms (::, an IPv4 tail, a zone). */
export function isIPv6(text: string): boolean {
  const address = text.replace(ZONE, "");
  if (address === text && text.includes("%")) return false;
  let groups = address;
  let tailGroups = 0;
  const lastColon = address.lastIndexOf(":");
  if (lastColon >= 0 && address.slice(lastColon + 1).includes(".")) {
    if (!isIPv4(address.slice(lastColon + 1))) return false;
    // Keep the colon (and so a "::" just before the IPv4 part) and count the tail as two groups.
    groups = address.slice(0, lastColon + 1) + "0";
    tailGroups = 1;
  }
  const halves = groups.split("::");
  if (halves.length > 2) return false;
  const parts = halves.map((half) => (half === "" ? [] : half.split(":")));
  if (!parts.every((list) => list.every((group) => GROUP.test(group)))) return false;
  const count = parts.reduce((sum, list) => sum + list.length, 0) + tailGroups;
  return halves.length === 2 ? count <= 7 : count === 8;
}
