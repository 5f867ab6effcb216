import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FilesystemFreeze, mountPointsByDevice } from "../../src/cloud-sim/filesystem-freeze.js";

const MOUNT_INFO = [
  "22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw",
  "90 22 7:3 / /var/lib/kubelet/staging/vol\\040a rw - ext4 /dev/loop3 rw",
  "91 22 7:3 / /var/lib/kubelet/pods/p1/mount rw - ext4 /dev/loop3 rw",
  "92 22 7:4 / /var/lib/kubelet/staging/vol-b rw - xfs /dev/loop4 rw",
].join("\n");

function freezeWith(options: { failOn?: string } = {}) {
  const calls: string[] = [];
  const freeze = new FilesystemFreeze({
    loops: {
      list: async () => [
        { device: "/dev/loop3", backingFile: "/data/volumes/vol-a.img" },
        { device: "/dev/loop4", backingFile: "/data/volumes/vol-b.img" },
        { device: "/dev/loop5", backingFile: "/data/volumes/vol-raw.img" },
        { device: "/dev/loop6", backingFile: "/data/volumes/vol-other.img" },
      ],
    },
    files: { volumePath: (id) => `/data/volumes/${id}.img` },
    run: async (program, args) => {
      const line = [program, ...args].join(" ");
      calls.push(line);
      if (options.failOn !== undefined && line.includes(options.failOn)) throw new Error(`${line}: failed`);
      return "";
    },
    readMountInfo: async () => MOUNT_INFO,
    deviceNumber: async (device) => `7:${device.slice("/dev/loop".length)}`,
  });
  return { freeze, calls };
}

describe("holding writes with fsfreeze", () => {
  test("mountinfo gives each device its first mount point, unescaped", () => {
    assert.deepEqual(
      [...mountPointsByDevice(MOUNT_INFO)],
      [
        ["8:1", "/"],
        ["7:3", "/var/lib/kubelet/staging/vol a"],
        ["7:4", "/var/lib/kubelet/staging/vol-b"],
      ],
    );
  });

  test("each mounted member is frozen once and an unmounted one is flushed; release thaws them", async () => {
    const { freeze, calls } = freezeWith();
    const release = await freeze.hold(["vol-a", "vol-b", "vol-raw"]);
    assert.deepEqual(calls, [
      "blockdev --flushbufs /dev/loop5",
      "fsfreeze --freeze -- /var/lib/kubelet/staging/vol a",
      "fsfreeze --freeze -- /var/lib/kubelet/staging/vol-b",
    ]);
    await release();
    assert.deepEqual(calls.slice(3), [
      "fsfreeze --unfreeze -- /var/lib/kubelet/staging/vol a",
      "fsfreeze --unfreeze -- /var/lib/kubelet/staging/vol-b",
    ]);
  });

  test("volumes not attached here hold nothing", async () => {
    const { freeze, calls } = freezeWith();
    const release = await freeze.hold(["vol-elsewhere"]);
    await release();
    assert.deepEqual(calls, []);
  });

  test("a freeze that fails thaws what was frozen and fails the hold", async () => {
    const { freeze, calls } = freezeWith({ failOn: "--freeze -- /var/lib/kubelet/staging/vol-b" });
    await assert.rejects(freeze.hold(["vol-a", "vol-b"]), /vol-b: failed/);
    assert.deepEqual(calls, [
      "fsfreeze --freeze -- /var/lib/kubelet/staging/vol a",
      "fsfreeze --freeze -- /var/lib/kubelet/staging/vol-b",
      "fsfreeze --unfreeze -- /var/lib/kubelet/staging/vol a",
    ]);
  });
});
