import type { Clock } from "../../../src/node/clock.js";

/** A clock whose sleeps end at once, moving time forward by what they asked for. */
export class FakeClock implements Clock {
  readonly sleeps: number[] = [];

  constructor(private current = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.current;
  }

  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.current += ms;
  }
}
