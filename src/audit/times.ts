/**
 * The time formats of CloudTrail: ISO 8601 in whole seconds for eventTime and digest
 * times, Java's medium date-time (`Apr 12, 2021, 6:58:30 PM`, UTC) for dates inside
 * requestParameters and responseElements, and the compact forms of file names.
 */

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** The second isoSeconds formatted last, and its text: every event of a busy second has the same eventTime. */
let lastSecond = Number.NaN;
let lastSecondText = "";

/** `2025-05-20T20:46:16Z`: eventTime, digestStartTime/EndTime, oldest/newestEventTime. */
export function isoSeconds(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    lastSecondText = new Date(second * 1000).toISOString().replace(".000Z", "Z");
    lastSecond = second;
  }
  return lastSecondText;
}

/** `Apr 12, 2021, 6:58:30 PM` (UTC): how CloudTrail writes a date member of a request or response. */
export function parameterDate(date: Date): string {
  const hours = date.getUTCHours();
  const two = (n: number) => String(n).padStart(2, "0");
  const h12 = hours % 12 === 0 ? 12 : hours % 12;
  return `${MONTHS[date.getUTCMonth()] ?? ""} ${date.getUTCDate()}, ${date.getUTCFullYear()}, ${h12}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} ${hours < 12 ? "AM" : "PM"}`;
}

/** `20150817T150131Z`: the end timestamp in a digest file name. */
export function compactSeconds(ms: number): string {
  return isoSeconds(ms).replace(/[-:]/g, "");
}

/** `20150817T1501Z`: the delivery time in a log file name. */
export function compactMinutes(ms: number): string {
  return compactSeconds(ms).slice(0, 13) + "Z";
}

/** `2015/08/17`: the date folders of a log or digest file. */
export function datePath(ms: number): string {
  return isoSeconds(ms).slice(0, 10).replace(/-/g, "/");
}
