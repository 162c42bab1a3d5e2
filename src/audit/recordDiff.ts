/**
 * Classifies how a sequence of records differs from the sequence it should be: records
 * that appear only in the actual one were inserted, those only in the expected one were
 * removed, those in both but with other content were altered, and those whose order
 * differs were reordered (every record outside a longest run kept in order, so swapping
 * two records reports one of them and moving one record reports that record).
 */

/** A record identified by its eventID, with its canonical text. */
export interface RecordItem {
  eventId: string;
  canonical: string;
  seq?: number;
}

/** How a record differs. */
export type RecordChange = "inserted" | "removed" | "reordered" | "altered";

/** The differences between what was expected and what is there, in the actual order (removed ones last). */
export function diffRecords(expected: readonly RecordItem[], actual: readonly RecordItem[]): { change: RecordChange; item: RecordItem }[] {
  const expectedIndex = new Map(expected.map((item, index) => [item.eventId, index]));
  const actualIds = new Set(actual.map((item) => item.eventId));
  const changes: { change: RecordChange; item: RecordItem }[] = [];
  const matched: { expectedIndex: number; item: RecordItem }[] = [];
  const seen = new Set<string>();
  for (const item of actual) {
    const index = expectedIndex.get(item.eventId);
    // A second copy of a record is an insertion too.
    if (index === undefined || seen.has(item.eventId)) {
      changes.push({ change: "inserted", item });
      continue;
    }
    seen.add(item.eventId);
    matched.push({ expectedIndex: index, item });
    if ((expected[index] as RecordItem).canonical !== item.canonical) changes.push({ change: "altered", item });
  }
  const inOrder = longestIncreasingRun(matched.map((entry) => entry.expectedIndex));
  matched.forEach((entry, position) => {
    if (!inOrder.has(position)) changes.push({ change: "reordered", item: entry.item });
  });
  for (const item of expected) if (!actualIds.has(item.eventId)) changes.push({ change: "removed", item });
  return changes;
}

/** Positions of one longest strictly increasing subsequence of `values` (patience sorting, O(n log n)). */
function longestIncreasingRun(values: readonly number[]): Set<number> {
  const tails: number[] = []; // tails[k]: position of the smallest tail of an increasing run of length k+1
  const previous: number[] = new Array<number>(values.length).fill(-1);
  values.forEach((value, position) => {
    let low = 0;
    let high = tails.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((values[tails[middle] as number] as number) < value) low = middle + 1;
      else high = middle;
    }
    if (low > 0) previous[position] = tails[low - 1] as number;
    tails[low] = position;
  });
  const run = new Set<number>();
  for (let position = tails.at(-1) ?? -1; position >= 0; position = previous[position] as number) run.add(position);
  return run;
}
