import { aborted } from "../shared/errors.js";

/**
 * Keys an operation holds. An exclusive key is held by one operation at a time; a shared key by
 * any number, but never while an operation holds it exclusively. A publish to one node of a
 * volume several nodes may use holds that volume shared and (volume, node) exclusively, so
 * publishes to different nodes run together while a delete of the volume (exclusive) waits for
 * none of them and is refused while any runs.
 */
export interface LockSet {
  exclusive: string[];
  shared: string[];
}

/**
 * One operation at a time per key (a volume id, a CO name, a snapshot id). A second caller for a
 * busy key is refused with Aborted instead of queued: the CSI spec lets the CO retry with backoff,
 * and queueing would let a stuck operation pile up duplicate work behind it.
 */
export class InFlightLocks {
  private readonly exclusive = new Set<string>();
  /** Shared key → how many operations hold it. */
  private readonly shared = new Map<string, number>();

  constructor(private readonly onConflict: (method: string, key: string) => void = () => {}) {}

  /**
   * Runs `work` for the CSI `method` holding every key (a plain list is all exclusive); Aborted
   * when any is busy.
   */
  async run<T>(method: string, keys: string[] | LockSet, work: () => Promise<T>): Promise<T> {
    const set = Array.isArray(keys) ? { exclusive: keys, shared: [] } : keys;
    const exclusive = [...new Set(set.exclusive)];
    const shared = [...new Set(set.shared)].filter((key) => !exclusive.includes(key));
    const busy =
      exclusive.find((key) => this.exclusive.has(key) || this.shared.has(key)) ??
      shared.find((key) => this.exclusive.has(key));
    if (busy !== undefined) {
      this.onConflict(method, busy);
      throw aborted(`an operation for ${busy} is already in progress`);
    }
    for (const key of exclusive) this.exclusive.add(key);
    for (const key of shared) this.shared.set(key, (this.shared.get(key) ?? 0) + 1);
    try {
      return await work();
    } finally {
      for (const key of exclusive) this.exclusive.delete(key);
      for (const key of shared) {
        const holders = (this.shared.get(key) ?? 1) - 1;
        if (holders === 0) this.shared.delete(key);
        else this.shared.set(key, holders);
      }
    }
  }

  isHeld(key: string): boolean {
    return this.exclusive.has(key) || this.shared.has(key);
  }
}
