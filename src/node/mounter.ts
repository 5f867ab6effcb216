import type { Metrics } from "../observability/metrics.js";
import { internal } from "../shared/errors.js";
import type { Exec } from "./exec.js";

type MountKind = "stage" | "publish" | "block" | "unmount";

/** mount(8)/umount(8) through Exec, timed and counted. */
export class Mounter {
  constructor(
    private readonly exec: Exec,
    private readonly metrics: Metrics,
  ) {}

  mountFilesystem(device: string, target: string, fsType: string, options: readonly string[]): Promise<void> {
    const args = ["-t", fsType];
    if (options.length > 0) args.push("-o", options.join(","));
    return this.run("stage", "mount", [...args, device, target], `mounting ${device} at ${target}`);
  }

  /** `mount --bind -o ro` binds and then remounts read-only (util-linux ≥ 2.27). */
  bind(kind: "publish" | "block", source: string, target: string, readOnly: boolean): Promise<void> {
    const args = ["--bind", ...(readOnly ? ["-o", "ro"] : []), source, target];
    return this.run(kind, "mount", args, `bind-mounting ${source} at ${target}`);
  }

  unmount(target: string): Promise<void> {
    return this.run("unmount", "umount", [target], `unmounting ${target}`);
  }

  private async run(kind: MountKind, command: string, args: string[], what: string): Promise<void> {
    const end = this.metrics.nodeMountDuration.startTimer({ kind });
    try {
      await this.exec.run(command, args, { timeoutMs: 60_000 });
      end({ result: "success" });
    } catch (error) {
      end({ result: "error" });
      this.metrics.nodeErrors.inc({ operation: kind === "unmount" ? "unmount" : "mount", kind: "Internal" });
      throw internal(`${what} failed: ${(error as Error).message}`, error);
    }
  }
}
