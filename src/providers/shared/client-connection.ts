import type { ProviderConnection } from "../provider.js";

/**
 * The options of a provider's client from what the driver was started with: the URL, the token
 * (a file re-read on change, or the value), the CA, the shared metrics and logger, and the
 * request rate, the provider's own default when no flag sets it.
 */
export function clientOptionsOf(connection: ProviderConnection, defaults: { qps: number; burst: number }) {
  return {
    baseUrl: connection.baseUrl,
    ...("file" in connection.token
      ? { tokenFile: connection.token.file }
      : { token: connection.token.value }),
    caFile: connection.caFile,
    qps: connection.qps ?? defaults.qps,
    burst: connection.burst ?? defaults.burst,
    metrics: connection.metrics,
    logger: connection.logger,
    userAgent: connection.userAgent,
  };
}
