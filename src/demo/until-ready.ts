/** How often and how long the demo asks again for a snapshot to become ready to use: 60 s. */
const READY_ATTEMPTS = 240;
const READY_POLL_MS = 250;

/**
 * Repeats an idempotent create (CreateSnapshot, CreateVolumeGroupSnapshot) until its answer is
 * ready to use, as the snapshotter sidecar does. `onCreated` sees the first answer, so the caller
 * can record and undo the object even if it never becomes ready.
 */
export async function createUntilReady<T extends { readyToUse: boolean }>(
  what: string,
  create: () => Promise<T | undefined>,
  onCreated: (first: T) => void,
): Promise<T> {
  for (let attempt = 0; attempt < READY_ATTEMPTS; attempt += 1) {
    const current = await create();
    if (current === undefined) throw new Error(`the create of ${what} answered nothing`);
    if (attempt === 0) onCreated(current);
    if (current.readyToUse) return current;
    await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
  }
  throw new Error(`${what} not ready to use after ${READY_ATTEMPTS} checks`);
}
