import { mkdir, open, readFile, rename } from "node:fs/promises";
import { dirname, join } from "node:path";
import { type CloudState, emptyState } from "./state.js";

/**
 * The state kept in one JSON file, replaced atomically (write a temp file, fsync, rename, fsync the
 * directory) so a kill -9 at any moment leaves either the old or the new state, never a torn one.
 * Saves are serialised; `save()` resolves once a write that began after the call is durable.
 */
export class StateFile {
  private writing: Promise<void> = Promise.resolve();
  private pending: Promise<void> | undefined;
  /** The directory is made by the first write; under load a save follows another every few ms. */
  private directoryMade = false;

  constructor(
    readonly path: string,
    private readonly snapshot: () => CloudState,
    /** Told of every durable write: its bytes and the ms from serialising to the synced rename. */
    private readonly wrote: (bytes: number, durationMs: number) => void = () => undefined,
    private readonly now: () => number = () => performance.now(),
  ) {}

  static pathIn(dataDir: string): string {
    return join(dataDir, "state.json");
  }

  async load(): Promise<CloudState> {
    try {
      const state = JSON.parse(await readFile(this.path, "utf8")) as CloudState;
      if (state.version !== 1)
        throw new Error(`${this.path}: unsupported state version ${String(state.version)}`);
      return state;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return emptyState();
      throw error;
    }
  }

  save(): Promise<void> {
    if (this.pending !== undefined) return this.pending;
    const next = this.writing.then(() => {
      this.pending = undefined;
      const started = this.now();
      const bytes = Buffer.from(JSON.stringify(this.snapshot()));
      return this.write(bytes).then(() => this.wrote(bytes.length, this.now() - started));
    });
    this.pending = next;
    this.writing = next.catch(() => undefined);
    return next;
  }

  private async write(bytes: Buffer): Promise<void> {
    const directory = dirname(this.path);
    if (!this.directoryMade) {
      await mkdir(directory, { recursive: true });
      this.directoryMade = true;
    }
    const temporary = `${this.path}.tmp`;
    const file = await open(temporary, "w");
    try {
      await file.writeFile(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, this.path);
    const dir = await open(directory, "r");
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}
