import { problem } from "../problems.js";
import type { CloudState, IdempotencyRecord, OperationRecord } from "../state.js";
import type { Accepted, IdempotencyContext } from "./engine-types.js";
import type { Operations } from "./operations.js";

/**
 * Runs a synchronous mutation under an optional Idempotency-Key, persists its effects together
 * with the key, and only then starts the new operation's work. The mutation being synchronous is
 * what lets concurrent requests see each other's effects at once.
 */
export class Idempotency {
  constructor(
    private readonly state: CloudState,
    private readonly operations: Operations,
    private readonly now: () => number,
  ) {}

  async run(idempotency: IdempotencyContext | undefined, mutate: () => OperationRecord): Promise<Accepted> {
    if (idempotency !== undefined) {
      const remembered = this.remembered(idempotency.key);
      if (remembered !== undefined) {
        if (remembered.fingerprint !== idempotency.fingerprint) {
          throw problem(
            "idempotency_key_mismatch",
            `Idempotency-Key: ${JSON.stringify(idempotency.key)} was used for a different request`,
          );
        }
        // The first request may still be waiting for its write; a replay is acknowledged only once durable.
        await this.operations.persistAndStart();
        return { operation: this.operations.get(remembered.operationId), replayed: true };
      }
    }
    const operation = mutate();
    if (idempotency !== undefined) {
      this.remember(idempotency.key, {
        fingerprint: idempotency.fingerprint,
        operationId: operation.id,
        at: this.now(),
      });
    }
    await this.operations.persistAndStart();
    return { operation, replayed: false };
  }

  /** Keys are the client's words: `constructor` or `toString` is a key, not what objects inherit. */
  private remembered(key: string): IdempotencyRecord | undefined {
    return Object.hasOwn(this.state.idempotency, key) ? this.state.idempotency[key] : undefined;
  }

  /**
   * Defined rather than assigned: assigning `__proto__` replaces the object's prototype, so the key
   * would be neither found again nor written to the state file.
   */
  private remember(key: string, record: IdempotencyRecord): void {
    Object.defineProperty(this.state.idempotency, key, {
      value: record,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
}
