import type { OperationKind, ResolvedConfig } from "../config.js";
import { problem } from "../problems.js";
import {
  type CloudState,
  type Operation,
  type OperationInput,
  type OperationRecord,
  PRUNE_INTERVAL_MS,
  pruneFinishedOperations,
} from "../state.js";
import type { IdGenerator } from "./engine-types.js";

export interface OperationsDependencies {
  config: ResolvedConfig;
  state: CloudState;
  newId: IdGenerator;
  now: () => number;
  /** Persists the state; resolves once durable. */
  save: () => Promise<void>;
  /** Starts the asynchronous work of a running operation. */
  schedule: (operation: OperationRecord) => void;
  /** How long an operation's work takes once it starts at its due time; 0 when not known. */
  expectedRunMs?: (kind: string) => number;
}

/**
 * Operation records: creating them, holding their work back until the state that records them is
 * durable, and telling pollers how long one still runs.
 */
export class Operations {
  private readonly started: OperationRecord[] = [];
  private prunedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly deps: OperationsDependencies) {}

  get(operationId: string): OperationRecord {
    const operation = this.deps.state.operations[operationId];
    if (operation === undefined) throw problem("not_found", `operation ${operationId} does not exist`);
    return operation;
  }

  create(
    kind: OperationKind,
    resourceId: string,
    input: OperationInput,
    instanceId?: string,
  ): OperationRecord {
    const now = this.deps.now();
    const at = new Date(now).toISOString();
    return {
      id: this.deps.newId("op"),
      kind,
      status: "running",
      resourceId,
      ...(instanceId === undefined ? {} : { instanceId }),
      createdAt: at,
      updatedAt: at,
      input,
      dueAt: now + this.deps.config.latencyMs(kind),
    };
  }

  /** Records a new running operation; its work starts once the state holding it is durable. */
  start(operation: OperationRecord): OperationRecord {
    this.deps.state.operations[operation.id] = operation;
    this.started.push(operation);
    return operation;
  }

  /** A request that changes nothing still answers with an operation, already succeeded. */
  finished(
    kind: OperationKind,
    resourceId: string,
    result: Pick<Operation, "volume" | "attachment" | "snapshot">,
  ): OperationRecord {
    const operation = this.create(kind, resourceId, { kind } as OperationInput);
    Object.assign(operation, { status: "succeeded", dueAt: this.deps.now() }, result);
    this.deps.state.operations[operation.id] = operation;
    return operation;
  }

  /**
   * Ends a running operation whose resource went away before its work ran (a pending snapshot
   * deleted): the runner skips operations that are no longer running, so nothing comes back.
   */
  cancel(operation: OperationRecord, reason: string): void {
    if (operation.status !== "running") return;
    operation.status = "failed";
    operation.error = problem("conflict", reason, { resourceId: operation.resourceId }).toProblem();
    operation.updatedAt = new Date(this.deps.now()).toISOString();
  }

  /** The expected time until a running operation is over: its work starts at `dueAt`, then runs. */
  remainingMs(operation: OperationRecord): number {
    if (operation.status !== "running") return 0;
    const expectedEnd = operation.dueAt + (this.deps.expectedRunMs?.(operation.kind) ?? 0);
    return Math.max(0, expectedEnd - this.deps.now());
  }

  /**
   * Saves, then starts the work of the operations recorded before the save began. When the save
   * fails the work stays queued for the next save that succeeds, which holds it too: dropped, its
   * operations would stay running, and their resources busy, until a restart.
   */
  async persistAndStart(): Promise<void> {
    const now = this.deps.now();
    if (now - this.prunedAt >= PRUNE_INTERVAL_MS) {
      pruneFinishedOperations(this.deps.state, now);
      this.prunedAt = now;
    }
    const started = this.started.splice(0);
    try {
      await this.deps.save();
    } catch (error) {
      this.started.unshift(...started);
      throw error;
    }
    for (const work of started) this.deps.schedule(work);
  }
}
