import type { InventoryReader, StormInventory } from "./inventory.js";

/**
 * Every cloud id ever seen for each CO name of this run, sampled while the storm blows: a name
 * that ever maps to two ids is a duplicate, even if one of them was deleted later.
 */
export class NameCensus {
  readonly volumeIdsByName = new Map<string, Set<string>>();
  readonly snapshotIdsByName = new Map<string, Set<string>>();
  samples = 0;
  failedSamples = 0;
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> = Promise.resolve();

  constructor(
    private readonly cloud: InventoryReader,
    private readonly prefix: string,
  ) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.sampling = this.sampling.then(async () => {
        await this.sample();
      });
    }, intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sampling;
  }

  /** Takes one sample; the cloud injects faults into listing too, so a failed sample is counted and skipped. */
  async sample(): Promise<StormInventory | undefined> {
    try {
      const inventory = await this.cloud.read();
      this.record(inventory);
      this.samples += 1;
      return inventory;
    } catch {
      this.failedSamples += 1;
      return undefined;
    }
  }

  record(inventory: StormInventory): void {
    for (const volume of inventory.volumes) {
      if (volume.coName?.startsWith(this.prefix)) add(this.volumeIdsByName, volume.coName, volume.id);
    }
    for (const snapshot of inventory.snapshots) {
      if (snapshot.coName?.startsWith(this.prefix)) add(this.snapshotIdsByName, snapshot.coName, snapshot.id);
    }
  }

  duplicateVolumeNames(): string[] {
    return duplicates(this.volumeIdsByName);
  }

  duplicateSnapshotNames(): string[] {
    return duplicates(this.snapshotIdsByName);
  }
}

function add(map: Map<string, Set<string>>, name: string, id: string): void {
  const ids = map.get(name) ?? new Set<string>();
  ids.add(id);
  map.set(name, ids);
}

function duplicates(map: Map<string, Set<string>>): string[] {
  return [...map.entries()]
    .filter(([, ids]) => ids.size > 1)
    .map(([name, ids]) => `${name}: ${[...ids].join(", ")}`);
}
