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
