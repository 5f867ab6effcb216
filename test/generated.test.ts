import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, describe, test } from "node:test";

const root = new URL("..", import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), "ballast-generate-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Each OpenAPI description and the types scripts/generate.sh makes from it. */
const OPENAPI_TYPES = [
  ["openapi/block-storage.v1.yaml", "block-storage.v1.ts"],
  ["openapi/providers/digitalocean.v2.yaml", "digitalocean.v2.ts"],
  ["openapi/providers/hetzner-cloud.v1.yaml", "hetzner-cloud.v1.ts"],
] as const;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

describe("committed generated code", () => {
  test("proto/csi.proto is exactly the protobuf of the CSI v1.12.0 spec", (t) => {
    const spec = join(root, "..", "shared", "reference", "csi-spec-v1.12.0.md");
    if (!existsSync(spec)) {
      if (process.env.CI === "true") assert.fail(`CI must have the CSI spec at ${spec}`);
      t.skip(`the CSI spec is not beside the checkout at ${spec}`);
      return;
    }
    const extracted = join(scratch, "csi.proto");
    execFileSync("bash", [join(root, "scripts", "extract-csi-proto.sh"), spec, extracted], { cwd: root });
    assert.equal(readFileSync(extracted, "utf8"), readFileSync(join(root, "proto", "csi.proto"), "utf8"));
  });

  test("src/generated matches what npm run generate produces", () => {
    const out = join(scratch, "regenerated");
    execFileSync("npx", ["buf", "generate", "--output", out], { cwd: root, stdio: "pipe" });
    for (const [description, generated] of OPENAPI_TYPES) {
      execFileSync(
        "npx",
        ["openapi-typescript", description, "-o", join(out, "src", "generated", generated)],
        {
          cwd: root,
          stdio: "pipe",
        },
      );
    }
    const committedDir = join(root, "src", "generated");
    const regeneratedDir = join(out, "src", "generated");
    assert.deepEqual(filesUnder(regeneratedDir), filesUnder(committedDir));
    for (const file of filesUnder(committedDir)) {
      assert.equal(
        readFileSync(join(regeneratedDir, file), "utf8"),
        readFileSync(join(committedDir, file), "utf8"),
        `src/generated/${file} is stale: run npm run generate`,
      );
    }
  });
});
