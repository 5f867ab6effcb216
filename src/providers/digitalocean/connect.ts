import type { BlockStorage } from "../../controller/block-storage.js";
import type { ProviderConnection } from "../provider.js";
import { clientOptionsOf } from "../shared/client-connection.js";
import { withClonesViaSnapshots } from "../shared/clone-via-snapshot.js";
import { digitalOceanBlockStorage } from "./block-storage-adapter.js";
import { createDigitalOceanClient } from "./client.js";

/**
 * DigitalOcean's generated, retrying client behind the controller's port. Loaded by `import()`
 * from the provider, so a process that never calls the API never loads the client or undici.
 */
export function connectDigitalOcean(
  connection: ProviderConnection,
  defaults: { qps: number; burst: number },
): BlockStorage {
  const client = createDigitalOceanClient(clientOptionsOf(connection, defaults));
  // DigitalOcean has no volume copy: clones are a snapshot restored and then deleted.
  return withClonesViaSnapshots(digitalOceanBlockStorage(client));
}
