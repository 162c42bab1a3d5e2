/** Reads every page of a paged KMS list (NextMarker/Truncated), reporting progress as pages arrive. */
export async function allPages<T>(
  fetchPage: (marker: string | undefined) => Promise<{ items: T[] | undefined; next: string | undefined; truncated: boolean | undefined }>,
  onPage?: (soFar: T[]) => void,
): Promise<T[]> {
  const all: T[] = [];
  let marker: string | undefined;
  do {
    const page = await fetchPage(marker);
    all.push(...(page.items ?? []));
    onPage?.(all);
    marker = page.truncated ? page.next : undefined;
  } while (marker);
  return all;
}

/** Runs `work` over `items` with at most `limit` calls in flight (so 10,000 keys do not make 10,000 requests at once). */
export async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>, stopped: () => boolean = () => false): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !stopped()) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
