/** Bytes as people read them. */
export function formatBytes(bytes: number): string {
  return bytes >= 1e9
    ? `${(bytes / 1e9).toFixed(2)} GB`
    : bytes >= 1e6
      ? `${(bytes / 1e6).toFixed(1)} MB`
      : `${(bytes / 1e3).toFixed(1)} kB`;
}

/** Seconds left at the rate so far. */
export function eta(loaded: number, total: number, startedMs: number): string {
  const elapsed = (performance.now() - startedMs) / 1000;
  if (loaded <= 0 || elapsed < 0.2) return '…';
  return `${Math.max(0, ((total - loaded) * elapsed) / loaded).toFixed(0)} s`;
}
