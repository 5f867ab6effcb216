// The floor of the driver's stack: a bare @grpc/grpc-js server (default options, as the driver's
// `new Server()`) serving the generated CSI Node service from the same build, that answers
// NodeGetCapabilities with the driver's answer as a constant. Plain node, no tsx: what it costs
// is grpc-js and the codec, nothing else.
//   node bare-node-server.mjs <repo root> <socket path>
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [repoRoot, socketPath] = process.argv.slice(2);
if (repoRoot === undefined || socketPath === undefined) {
  process.stderr.write("usage: bare-node-server.mjs <repo root> <socket path>\n");
  process.exit(2);
}
const require = (await import("node:module")).createRequire(join(repoRoot, "package.json"));
const { Server, ServerCredentials } = require("@grpc/grpc-js");
const csi = await import(pathToFileURL(join(repoRoot, "dist/generated/csi.js")).href);

const RPC = csi.NodeServiceCapability_RPC_Type;
const CAPABILITIES = {
  capabilities: [
    RPC.STAGE_UNSTAGE_VOLUME,
    RPC.GET_VOLUME_STATS,
    RPC.EXPAND_VOLUME,
    RPC.VOLUME_CONDITION,
    RPC.SINGLE_NODE_MULTI_WRITER,
  ].map((type) => ({ type: { $case: "rpc", value: { type } } })),
};

const unimplemented = (_call, callback) => callback({ code: 12, details: "not served by the floor" });
const implementation = Object.fromEntries(Object.keys(csi.NodeService).map((key) => [key, unimplemented]));
implementation.nodeGetCapabilities = (_call, callback) => callback(null, CAPABILITIES);

const server = new Server();
server.addService(csi.NodeService, implementation);
server.bindAsync(`unix://${socketPath}`, ServerCredentials.createInsecure(), (error) => {
  if (error) {
    process.stderr.write(`bare server: ${error.message}\n`);
    process.exit(1);
  }
  process.stdout.write(`listening on unix://${socketPath}\n`);
});
process.on("SIGTERM", () => server.tryShutdown(() => process.exit(0)));
