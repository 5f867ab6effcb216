import { createBlockStorageClient } from "../../cloud/block-storage-client.js";
import type { BlockStorage } from "../../controller/block-storage.js";
import type { ProviderConnection } from "../provider.js";
import { cloudBlockStorage } from "./block-storage-adapter.js";

/**
 * The ballast API's generated, retrying client behind the controller's port. Loaded by `import()`
 * from the provider, so a process that never calls the API never loads the client or undici.
 */
export function connectBallast(connection: ProviderConnection): BlockStorage {
  const client = createBlockStorageClient({
    baseUrl: connection.baseUrl,
    ...("file" in connection.token
      ? { tokenFile: connection.token.file }
      : { token: connection.token.value }),
    caFile: connection.caFile,
    qps: connection.qps,
    burst: connection.burst,
    metrics: connection.metrics,
    logger: connection.logger,
    userAgent: connection.userAgent,
  });
  return { ...cloudBlockStorage(client), close: () => client.close() };
}
