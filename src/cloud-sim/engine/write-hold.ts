/**
 * Holds back writes to volumes while their point in time is taken, so several volumes can be
 * copied as of one moment. `hold` resolves once no write is in flight and new ones wait; the
 * function it resolves with lets them go on.
 */
export interface WriteHold {
  hold(volumeIds: readonly string[]): Promise<() => Promise<void>>;
}

/** For a cloud whose volumes nothing on this machine can write (no local attach). */
export const NO_WRITES_TO_HOLD: WriteHold = {
  hold: async () => async () => undefined,
};
