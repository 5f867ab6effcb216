/**
 * Test-only driver process: the real NodeService behind a grpc-js server on a unix socket, so
 * tests can kill it mid-lifecycle and start it again. Usage: driver-entry.ts <socket> <by-id dir>.
 */
import { dirname, join } from "node:path";
import { Server, ServerCredentials } from "@grpc/grpc-js";
import { createNodeHandlers } from "../../src/csi/node-handlers.js";
import { NodeService as NodeServiceDefinition } from "../../src/generated/csi.js";
import { createExec } from "../../src/node/exec.js";
import { createNodeService } from "../../src/node/node-service.js";
import { createLogger } from "../../src/observability/logger.js";
import { Metrics } from "../../src/observability/metrics.js";

const [socketPath, byIdDir] = process.argv.slice(2);
if (!socketPath || !byIdDir) throw new Error("usage: driver-entry.ts <socket> <by-id dir>");

const logger = createLogger("warn");
const service = await createNodeService({
  exec: createExec(logger),
  logger,
  metrics: new Metrics({ defaultMetrics: false }),
  byIdDir,
  stateDir: join(dirname(byIdDir), "state"),
  deviceWaitMs: 2000,
  udevadmPath: null,
  identity: { nodeId: "i-0123456789abcdef", zone: "zone-a", maxVolumesPerNode: 20 },
});
const server = new Server();
server.addService(NodeServiceDefinition, createNodeHandlers(service));
server.bindAsync(`unix://${socketPath}`, ServerCredentials.createInsecure(), (error) => {
  if (error) throw error;
  process.stdout.write("ready\n");
});
