import type { Clock } from "../../../src/node/clock.js";

/** A clock whose sleeps end at once, moving time forward by what they asked for. */
export class FakeClock implements Clock {
  readonly sleeps: number[] = [];
  /** Runs during each sleep, with the sleeps so far: what happens on the machine while the node waits. */
  whileSleeping: ((sleeps: readonly number[]) => void) | undefined;

  constructor(private current = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.current;
  }

  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.current += ms;
    this.whileSleeping?.(this.sleeps);
  }
}
