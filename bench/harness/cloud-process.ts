/**
 * Child-process entry of the reference cloud for benchmarks: the cloud gets its own event loop
 * and CPU, as a real cloud would, so neither the harness nor the driver shares a thread with it.
 * argv[2] is the ReferenceCloudOptions as JSON (the API it serves among them). Prints one JSON
 * line `{url, apiUrl, token, localInstanceId}` when serving; SIGTERM, SIGINT or the end of stdin
 * (the harness is gone) closes it and removes this machine's loop devices.
 */
import { type ReferenceCloudOptions, startReferenceCloud } from "../../src/cloud-sim/index.js";

const config = JSON.parse(process.argv[2] ?? "{}") as ReferenceCloudOptions;
const cloud = await startReferenceCloud(config);
process.stdout.write(
  `${JSON.stringify({ url: cloud.url, apiUrl: cloud.apiUrl, token: cloud.token, localInstanceId: cloud.localInstanceId })}\n`,
);
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  cloud.close({ detachLocalDevices: true }).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`reference cloud close failed: ${(error as Error).message}\n`);
      process.exit(1);
    },
  );
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
// The harness holds stdin open; when it dies without stopping this process, stdin ends.
process.stdin.once("end", stop);
process.stdin.resume();
