import { aborted } from "../shared/errors.js";

/**
 * One operation at a time per key (a volume id, a CO name, a snapshot id). A second caller for a
 * busy key is refused with Aborted instead of queued: the CSI spec lets the CO retry with backoff,
 * and queueing would let a stuck operation pile up duplicate work behind it.
 */
export class InFlightLocks {
  private readonly held = new Set<string>();

  constructor(private readonly onConflict: (method: string, key: string) => void = () => {}) {}

  /** Runs `work` for the CSI `method` holding every key; Aborted when any is already held. */
  async run<T>(method: string, keys: string[], work: () => Promise<T>): Promise<T> {
    const unique = [...new Set(keys)];
    const busy = unique.find((key) => this.held.has(key));
    if (busy !== undefined) {
      this.onConflict(method, busy);
      throw aborted(`an operation for ${busy} is already in progress`);
    }
    for (const key of unique) this.held.add(key);
    try {
      return await work();
    } finally {
      for (const key of unique) this.held.delete(key);
    }
  }

  isHeld(key: string): boolean {
    return this.held.has(key);
  }
}
