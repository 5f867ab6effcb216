import fc from "fast-check";

/**
 * Values an attacker or a broken CO would send. Each arbitrary mixes hand-picked classics
 * (traversal, option injection, shell metacharacters, limits) with fast-check's random ones.
 */

const INJECTIONS = [
  "",
  " ",
  "..",
  "../..",
  "../../etc/passwd",
  "/etc/passwd",
  "-o",
  "--help",
  "-oremount,rw",
  ";reboot",
  "a;b",
  "$(reboot)",
  "`id`",
  "| cat /etc/shadow",
  "&& true",
  "x\ny",
  "\u0000",
  "\u0007bell",
  "\u202eevil",
  "💥",
  "%s%n",
  "'\"",
  "vol-../../x",
  "vol-0123456789abcdef/../../x",
  "snap-;reboot",
  "i-$(id)",
];

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...INJECTIONS),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ minLength: 129, maxLength: 600 }),
  fc.constant("x".repeat(129)),
  fc.constant("ü".repeat(65)),
);

/**
 * Paths: relative, injected, traversing, or absolute under `root` with hostile tails. Every
 * absolute path, even read with its `..` resolved, stays inside `root`'s parent: the node runs as
 * root, and a node that wrongly honoured a path to a real system file would destroy it.
 */
export function hostilePath(root: string): fc.Arbitrary<string> {
  const tail = hostileString.map((value) => value.replaceAll("..", "__"));
  return fc.oneof(
    fc.constantFrom("", "relative/path", ".", "..", "-o", "--bind", "a;b"),
    hostileString.filter((value) => !value.startsWith("/")),
    tail.map((value) => `${root}/${value}`),
    tail.map((value) => `${root}/../escaped-${value.replaceAll("/", "_")}`),
    tail.map((value) => `${root}/./${value}`),
  );
}

export const hostileFsType: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    "ext4",
    "xfs",
    "",
    "ext4;reboot",
    "-t",
    "vfat",
    "tmpfs",
    "nfs",
    "../ext4",
    "EXT4",
    "ext4 -o",
  ),
  hostileString,
);

export const hostileMountFlags: fc.Arbitrary<string[]> = fc.array(
  fc.oneof(
    fc.constantFrom(
      "-o",
      "rw;reboot",
      "bind",
      "remount",
      "exec",
      "suid",
      "dev",
      "--make-shared",
      "uid=0,gid=0",
      "a,b",
      "noatime",
      "ro",
      'context="system_u:object_r:container_file_t"',
      "x".repeat(5000),
    ),
    hostileString,
  ),
  { maxLength: 6 },
);

/** int64 sizes: negatives, zero, tiny, the extremes, and random ones. */
export const hostileSize: fc.Arbitrary<bigint> = fc.oneof(
  fc.constantFrom(-1n, 0n, 1n, 512n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 53n + 1n),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
);

/** int32 page sizes. */
export const hostilePageSize: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(-1, 0, 1, 2 ** 31 - 1, -(2 ** 31)),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
);

export const hostileMap: fc.Arbitrary<Record<string, string>> = fc.oneof(
  fc.dictionary(hostileString, hostileString, { maxKeys: 5 }),
  fc.constant({ type: "x".repeat(5000) }),
  fc.constant({ "csi.storage.k8s.io/fstype": "ext4;reboot", blockSize: "-1" }),
  fc.constant({ iops: "1e400", throughput: "-5", encrypted: "maybe" }),
  fc.constant({ inodeSize: "4096 -O metadata_csum", bytesPerInode: "0" }),
);

export const accessMode: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: 0, max: 7 }),
  fc.integer({ min: -5, max: 1000 }),
);

export const hostileCapability = fc.oneof(
  fc.record({
    accessType: fc.constant({ $case: "block" as const, value: {} }),
    accessMode: fc.record({ mode: accessMode }),
  }),
  fc.record({
    accessType: fc.record({
      $case: fc.constant("mount" as const),
      // volume_mount_group is usually absent, as from kubelet; present it is hostile.
      value: fc.record(
        { fsType: hostileFsType, mountFlags: hostileMountFlags, volumeMountGroup: hostileString },
        { requiredKeys: ["fsType"] },
      ),
    }),
    accessMode: fc.record({ mode: accessMode }),
  }),
  fc.constant({}),
);

export const hostileTopology = fc.record({
  requisite: fc.array(fc.record({ segments: hostileMap }), { maxLength: 3 }),
  preferred: fc.array(fc.record({ segments: hostileMap }), { maxLength: 3 }),
});
