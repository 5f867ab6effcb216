/**
 * Runs `task(0..count-1)` with at most `concurrency` in flight, the way a CO's worker pool does:
 * each worker takes the next index as soon as its previous task settled. Task failures are the
 * task's business (it records them); a throw here is a bug in the harness and stops the run.
 */
export async function runPool(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next;
      next += 1;
      await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** Runs `task` repeatedly on `concurrency` workers until `durationMs` has passed. */
export async function runFor(
  durationMs: number,
  concurrency: number,
  task: () => Promise<void>,
): Promise<void> {
  const endsAt = Date.now() + durationMs;
  const worker = async () => {
    while (Date.now() < endsAt) await task();
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}
