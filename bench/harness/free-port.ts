import type { AddressInfo } from "node:net";
import { createServer } from "node:net";

/**
 * A port on 127.0.0.1 that was free a moment ago. The driver prints its metrics URL only at
 * log level info, so at other levels the harness must choose the port itself.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
