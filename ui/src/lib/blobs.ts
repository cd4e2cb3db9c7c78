// Every blob: URL the app makes goes through here, so locking can revoke them all.

const live = new Set<string>();

export function makeBlobUrl(bytes: Uint8Array, mime: string): string {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: mime }));
  live.add(url);
  return url;
}

export function revokeBlobUrl(url: string | null | undefined): void {
  if (!url) return;
  if (live.delete(url)) URL.revokeObjectURL(url);
}

export function revokeAllBlobUrls(): void {
  for (const url of live) URL.revokeObjectURL(url);
  live.clear();
}

export function liveBlobUrls(): number {
  return live.size;
}
