import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Debian 12 (bookworm, the base image's release) package of every tool the driver may exec. */
const packageOfCommand: Record<string, string> = {
  mount: "mount",
  umount: "mount",
  losetup: "mount",
  blkid: "util-linux",
  wipefs: "util-linux",
  blockdev: "util-linux",
  lsblk: "util-linux",
  findmnt: "util-linux",
  fsck: "util-linux",
  fsfreeze: "util-linux",
  nsenter: "util-linux",
  "mkfs.ext4": "e2fsprogs",
  mke2fs: "e2fsprogs",
  resize2fs: "e2fsprogs",
  e2fsck: "e2fsprogs",
  tune2fs: "e2fsprogs",
  dumpe2fs: "e2fsprogs",
  "mkfs.xfs": "xfsprogs",
  xfs_growfs: "xfsprogs",
  xfs_info: "xfsprogs",
  xfs_repair: "xfsprogs",
  xfs_admin: "xfsprogs",
  xfs_io: "xfsprogs",
  udevadm: "udev",
  cp: "coreutils",
  dd: "coreutils",
  truncate: "coreutils",
  sync: "coreutils",
};
// Essential in Debian, so every Debian-based image has it.
const basePackages = new Set(["coreutils"]);

interface Stage {
  name: string;
  from: string;
  lines: string[];
}

/** The Dockerfile's instructions (continuations joined), grouped by build stage. */
function stages(): Stage[] {
  const text = readFileSync(path.join(repoRoot, "Dockerfile"), "utf8");
  const instructions = text
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
  const result: Stage[] = [];
  for (const line of instructions) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) result.push({ from: from[1] ?? "", name: from[2] ?? String(result.length), lines: [] });
    else result.at(-1)?.lines.push(line);
  }
  return result;
}

function runtimeStage(): Stage {
  const last = stages().at(-1);
  assert.ok(last, "the Dockerfile has no stage");
  return last;
}

function aptPackages(stage: Stage): Set<string> {
  const packages = new Set<string>();
  for (const line of stage.lines) {
    for (const match of line.matchAll(/apt-get install ([^&;]+)/g)) {
      for (const word of (match[1] ?? "").split(/\s+/))
        if (/^[a-z0-9][a-z0-9.+-]*$/.test(word)) packages.add(word);
    }
  }
  return packages;
}

function sourceFiles(directory: string): string[] {
  const root = path.join(repoRoot, directory);
  try {
    return (readdirSync(root, { recursive: true }) as string[])
      .filter((f) => f.endsWith(".ts"))
      .map((f) => path.join(root, f));
  } catch {
    return [];
  }
}

const execSources = [...sourceFiles("src/node"), ...sourceFiles("src/cloud-sim")];

/** Commands named as string literals (bare or as an absolute path) in the node and reference-cloud code. */
function commandsNamedInSource(): Set<string> {
  const found = new Set<string>();
  for (const file of execSources) {
    for (const match of readFileSync(file, "utf8").matchAll(/"(?:\/[a-z/]+\/)?([a-z0-9._-]+)"/g)) {
      const command = match[1] ?? "";
      if (command in packageOfCommand) found.add(command);
    }
  }
  return found;
}

describe("Dockerfile", () => {
  test("the runtime stage installs every tool the node plugin and reference cloud exec", () => {
    const commands = [...commandsNamedInSource()].sort();
    assert.ok(
      commands.includes("mount") && commands.includes("mkfs.ext4"),
      `found only ${commands.join(", ")}`,
    );
    const installed = aptPackages(runtimeStage());
    const missing = commands.filter((c) => {
      const pkg = packageOfCommand[c] ?? "";
      return !installed.has(pkg) && !basePackages.has(pkg);
    });
    assert.deepEqual(missing, []);
  });

  test("every command the code passes straight to exec has a known Debian package", () => {
    const unknown: string[] = [];
    for (const file of execSources) {
      for (const match of readFileSync(file, "utf8").matchAll(/\bexec(?:\.run)?\(\s*"([^"]+)"/g)) {
        const command = match[1] ?? "";
        if (!(command in packageOfCommand)) unknown.push(`${path.relative(repoRoot, file)}: ${command}`);
      }
    }
    assert.deepEqual(unknown, []);
  });

  test("the runtime stage installs the filesystem tools of the design even before the code names them", () => {
    const installed = aptPackages(runtimeStage());
    for (const pkg of ["e2fsprogs", "xfsprogs", "util-linux", "mount", "udev"]) {
      assert.ok(installed.has(pkg), `${pkg} is not installed`);
    }
  });

  test("the runtime stage takes node_modules only from a production-only install", () => {
    const all = stages();
    const runtime = runtimeStage();
    const modules = runtime.lines.filter((l) => /^COPY\b.*node_modules/.test(l));
    assert.equal(modules.length, 1, modules.join("\n"));
    const source = /--from=(\S+)/.exec(modules[0] ?? "")?.[1];
    const stage = all.find((s) => s.name === source);
    assert.ok(stage, `node_modules come from unknown stage ${source}`);
    const installs = stage.lines.filter((l) => /\bnpm (ci|install|i)\b/.test(l));
    assert.ok(installs.length > 0 && installs.every((l) => l.includes("--omit=dev")), installs.join("\n"));
    assert.equal(
      runtime.lines.some((l) => /\bnpm (ci|install|i)\b/.test(l)),
      false,
      "the runtime stage runs npm itself",
    );
  });

  test("every stage builds on Node 24 slim and the image runs ballast as a non-root user", () => {
    for (const stage of stages()) assert.match(stage.from, /^(\$\{NODE_IMAGE\}|node:24[-.\w]*-slim)$/);
    const text = readFileSync(path.join(repoRoot, "Dockerfile"), "utf8");
    assert.match(text, /^ARG NODE_IMAGE=node:24-bookworm-slim$/m);
    const runtime = runtimeStage();
    assert.ok(runtime.lines.includes('ENTRYPOINT ["ballast"]'));
    const user = runtime.lines.filter((l) => l.startsWith("USER ")).at(-1);
    assert.match(user ?? "", /^USER [1-9]\d*(:[1-9]\d*)?$/);
    assert.ok(
      runtime.lines.some((l) => l.startsWith("LABEL") && l.includes("org.opencontainers.image.version")),
    );
  });

  test("the runtime image holds what the code reads beside dist/: package.json, bin/ and openapi/", () => {
    const copies = runtimeStage().lines.filter((l) => l.startsWith("COPY "));
    for (const source of ["package.json", "bin", "openapi"]) {
      assert.ok(
        copies.some((l) => l.split(/\s+/)[1] === source),
        `${source} is not copied into the runtime stage`,
      );
    }
    assert.ok(
      copies.some((l) => /--from=\S+ \/src\/dist /.test(l)),
      "dist/ is not copied from the build stage",
    );
  });

  test(".dockerignore keeps every file the Dockerfile copies and drops local build output", () => {
    const ignored = readFileSync(path.join(repoRoot, ".dockerignore"), "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("#"));
    for (const entry of ["node_modules", "dist", ".git"])
      assert.ok(ignored.includes(entry), `${entry} not ignored`);
    const copied = stages()
      .flatMap((s) => s.lines)
      .filter((l) => l.startsWith("COPY ") && !l.includes("--from="))
      .flatMap((l) => l.split(/\s+/).slice(1, -1));
    const dropped = copied.filter((source) =>
      ignored.some((pattern) => source === pattern || source.startsWith(`${pattern}/`)),
    );
    assert.deepEqual(dropped, []);
  });
});
