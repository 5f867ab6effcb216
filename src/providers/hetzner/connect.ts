import type { BlockStorage } from "../../controller/block-storage.js";
import type { ProviderConnection } from "../provider.js";
import { clientOptionsOf } from "../shared/client-connection.js";
import { hetznerBlockStorage } from "./block-storage-adapter.js";
import { createHetznerClient } from "./client.js";

/**
 * Hetzner's generated, retrying client behind the controller's port. Loaded by `import()` from
 * the provider, so a process that never calls the API never loads the client or undici.
 */
export function connectHetzner(
  connection: ProviderConnection,
  defaults: { qps: number; burst: number },
): BlockStorage {
  const client = createHetznerClient(clientOptionsOf(connection, defaults));
  return hetznerBlockStorage(client);
}
