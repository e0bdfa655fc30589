/**
 * A gate that opens at most once per interval (on a monotonic clock): for a warning about a state
 * every reconcile meets while it lasts, said once a minute rather than per object.
 */
export function atMostEvery(intervalMs: number): (nowMs: number) => boolean {
  let lastMs = -Infinity;
  return (nowMs) => {
    if (nowMs - lastMs < intervalMs) return false;
    lastMs = nowMs;
    return true;
  };
}
