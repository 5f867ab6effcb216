import type { BlockStorage } from "../controller/block-storage.js";
import type { Provider, ProviderConnection } from "../providers/provider.js";

/**
 * The provider's port, made on first use and shared by the controller and node of one process. A
 * node that never asks the cloud never makes it, so never loads the provider's client or undici.
 * A failed attempt is forgotten, so the next caller tries again.
 */
export class CloudAccess {
  private pending: Promise<BlockStorage> | undefined;
  private made: BlockStorage | undefined;

  constructor(
    readonly provider: Provider,
    private readonly connection: ProviderConnection,
  ) {}

  storage(): Promise<BlockStorage> {
    this.pending ??= Promise.resolve(this.provider.blockStorage(this.connection)).then(
      (storage) => {
        this.made = storage;
        return storage;
      },
      (error: unknown) => {
        this.pending = undefined;
        throw error;
      },
    );
    return this.pending;
  }

  async close(): Promise<void> {
    await this.made?.close?.();
  }
}
