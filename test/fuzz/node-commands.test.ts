import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Server, ServerCredentials, status } from "@grpc/grpc-js";
import fc from "fast-check";
import { createNodeHandlers } from "../../src/csi/node-handlers.js";
import { type CsiClient, createCsiClient, isServiceError } from "../../src/demo/csi-client.js";
import { NodeService as NodeServiceDefinition } from "../../src/generated/csi.js";
import { type Exec, ExecError, type ExecResult } from "../../src/node/exec.js";
import { createNodeService } from "../../src/node/node-service.js";
import { createLogger } from "../../src/observability/logger.js";
import { Metrics } from "../../src/observability/metrics.js";
import { requireRoot, rootUnavailableReason } from "../helpers/root.js";
import { type HostileCall, nodeCalls, send } from "./hostile-requests.js";
import {
  hostileFsType,
  hostileMap,
  hostileMountFlags,
  hostilePath,
  hostileString,
} from "./hostile-values.js";

const RUNS = 1500;
/** The one volume id whose device exists, so requests for it get past discovery to commands. */
const ATTACHED_VOLUME = "vol-0123456789abcdef";
const SENSIBLE_CODES = new Set([
  status.INVALID_ARGUMENT,
  status.NOT_FOUND,
  status.ALREADY_EXISTS,
  status.FAILED_PRECONDITION,
  status.OUT_OF_RANGE,
  status.RESOURCE_EXHAUSTED,
  status.ABORTED,
]);

interface RecordedCommand {
  command: string;
  args: readonly string[];
}

/**
 * Records every command the node asks to run and runs none. It answers as a blank device
 * would (blkid finds nothing; mkfs, mount and the rest succeed), so requests go on to the next
 * command and every argument they would have passed is seen. This proves, with nothing touched,
 * what reaches execFile.
 */
class RecordingExec implements Exec {
  readonly commands: RecordedCommand[] = [];

  async run(command: string, args: readonly string[]): Promise<ExecResult> {
    this.commands.push({ command, args: [...args] });
    if (command.endsWith("blkid")) throw new ExecError(command, args, 2, null, "", "", false);
    return { stdout: "", stderr: "" };
  }
}

/**
 * Requests that are valid but for one hostile field, so they reach discovery, the format
 * check and the mount with that one field in play.
 */
function nearlyValidCalls(root: string): fc.Arbitrary<HostileCall>[] {
  const capability = (fsType: string, mountFlags: string[]) => ({
    accessType: { $case: "mount" as const, value: { fsType, mountFlags } },
    accessMode: { mode: 1 },
  });
  const stage = {
    volumeId: ATTACHED_VOLUME,
    publishContext: { serial: ATTACHED_VOLUME },
    stagingTargetPath: `${root}/staging`,
    volumeCapability: capability("ext4", []),
    volumeContext: {},
  };
  const mutation = fc.oneof(
    fc.record({ stagingTargetPath: hostilePath(root) }),
    hostileFsType.map((fsType) => ({ volumeCapability: capability(fsType, []) })),
    hostileMountFlags.map((flags) => ({ volumeCapability: capability("ext4", flags) })),
    hostileMap.map((volumeContext) => ({ volumeContext })),
    hostileMap.map((publishContext) => ({ publishContext })),
  );
  return [
    mutation.map((change) => ({
      service: "node" as const,
      method: "nodeStageVolume",
      request: { ...stage, ...change },
    })),
    mutation.map((change) => ({
      service: "node" as const,
      method: "nodePublishVolume",
      request: { ...stage, targetPath: `${root}/target`, readonly: false, ...change },
    })),
  ];
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters in an argument are the finding
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Every string anywhere in a request: the values an attacker controls. */
function requestStrings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(requestStrings);
  if (value !== null && typeof value === "object") {
    return Object.entries(value).flatMap(([key, inner]) => [key, ...requestStrings(inner)]);
  }
  return [];
}

/**
 * Why an argument could not have been validated, or undefined when it looks like one that was.
 * Shell metacharacters are harmless here (execFile, no shell); what matters is an option
 * smuggled in as its own argument, a control character, or a path that climbs out with `..`.
 */
function unvalidatedReason(argument: string, supplied: readonly string[]): string | undefined {
  if (CONTROL.test(argument)) return "control character";
  if (argument.split("/").includes("..")) return "'..' path segment";
  if (argument.startsWith("-") && supplied.includes(argument))
    return "option taken verbatim from the request";
  if (Buffer.byteLength(argument) > 4096) return "longer than any validated value";
  return undefined;
}

describe("hostile input to the Node service never reaches a command unvalidated", () => {
  let workDir: string;
  let server: Server;
  let client: CsiClient;
  let loopDevice: string | undefined;
  const exec = new RecordingExec();

  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), "ballast-fuzz-node-"));
    const byIdDir = join(workDir, "by-id");
    await mkdir(byIdDir);
    if (rootUnavailableReason() === undefined) {
      // A real (blank) block device behind one volume's link, so stage and publish reach the
      // point where they would run blkid, mkfs and mount; the recording exec runs none of them.
      const backingFile = join(workDir, `${ATTACHED_VOLUME}.img`);
      await writeFile(backingFile, "");
      await truncate(backingFile, 64 * 1024 * 1024);
      loopDevice = execFileSync("losetup", ["--find", "--show", backingFile], { encoding: "utf8" }).trim();
      await symlink(loopDevice, join(byIdDir, `virtio-${ATTACHED_VOLUME}`));
    }
    const service = await createNodeService({
      exec,
      logger: createLogger("silent"),
      metrics: new Metrics({ defaultMetrics: false }),
      identity: { nodeId: "i-0123456789abcdef", zone: "ref-1a", maxVolumesPerNode: 16 },
      byIdDir,
      stateDir: join(workDir, "state"),
      deviceWaitMs: 20,
      udevadmPath: null,
    });
    server = new Server();
    server.addService(NodeServiceDefinition, createNodeHandlers(service));
    const socketPath = join(workDir, "csi.sock");
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(`unix://${socketPath}`, ServerCredentials.createInsecure(), (error) =>
        error ? reject(error) : resolve(),
      ),
    );
    client = createCsiClient(`unix://${socketPath}`);
  });

  after(async () => {
    client?.close();
    await new Promise<void>((resolve) => (server ? server.tryShutdown(() => resolve()) : resolve()));
    if (loopDevice) execFileSync("losetup", ["--detach", loopDevice]);
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  test(`${RUNS} hostile Node requests: requests rejected as invalid run nothing, and no command gets an unvalidated argument`, async (t) => {
    if (!requireRoot(t)) return;
    const wellFormedOrHostileId = fc.oneof(
      hostileString,
      fc.constantFrom(ATTACHED_VOLUME, "vol-00000000deadbeef"),
    );
    const root = join(workDir, "kubelet");
    const arbitrary = fc.oneof(...nodeCalls(root, wellFormedOrHostileId), ...nearlyValidCalls(root));
    await fc.assert(
      fc.asyncProperty(arbitrary, async (hostile: HostileCall) => {
        const before = exec.commands.length;
        const supplied = requestStrings(hostile.request);
        try {
          await send(client, hostile, 15_000);
        } catch (error) {
          assert.ok(isServiceError(error), `not a gRPC status: ${String(error)}`);
          const ran = exec.commands.slice(before);
          const expected =
            SENSIBLE_CODES.has(error.code) || (error.code === status.INTERNAL && ran.length > 0);
          assert.ok(expected, `${hostile.method} answered ${status[error.code]}: ${error.details}`);
          if (error.code === status.INVALID_ARGUMENT) {
            assert.deepEqual(ran, [], `${hostile.method} was rejected as invalid yet ran commands`);
          }
        }
        for (const { command, args } of exec.commands.slice(before)) {
          for (const argument of [command, ...args]) {
            const reason = unvalidatedReason(argument, supplied);
            assert.equal(reason, undefined, `${command} ran with ${JSON.stringify(argument)}: ${reason}`);
          }
        }
      }),
      { numRuns: RUNS, seed: 20_260_102, endOnFailure: true, includeErrorInReport: true },
    );
    // The commands that take request-shaped arguments (fs type, mount flags, paths) must each be
    // reached, or the property above holds only for the commands that come before them.
    const reached = new Set(exec.commands.map(({ command }) => command.split("/").at(-1)));
    for (const command of ["blkid", "mkfs.ext4", "mount"]) {
      assert.ok(reached.has(command), `no request got as far as ${command}, so its arguments went unchecked`);
    }
  });
});
