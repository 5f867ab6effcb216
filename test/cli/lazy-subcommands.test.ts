import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/**
 * The modules a file loads as soon as it is imported: static `import … from`, `export … from` and
 * bare `import "…"`. Dynamic `import()` runs only when called, so it is not followed; nor is
 * `import type`, which the compiler erases.
 */
function staticImports(file: string): string[] {
  const source = readFileSync(file, "utf8");
  const specifiers: string[] = [];
  const pattern = /^(?:import|export)(?!\s+type\s)[^;]*?from\s+"([^"]+)"|^import\s+"([^"]+)"/gms;
  for (const match of source.matchAll(pattern)) specifiers.push(match[1] ?? match[2] ?? "");
  return specifiers;
}

/** Every module reachable from `entry` through static imports: src files by path, packages by name. */
function loadedAtStart(entry: string): Set<string> {
  const seen = new Set<string>();
  const pending = [resolve(ROOT, entry)];
  while (pending.length > 0) {
    const file = pending.pop() ?? "";
    const key = relative(ROOT, file);
    if (seen.has(key)) continue;
    seen.add(key);
    for (const specifier of staticImports(file)) {
      if (specifier.startsWith(".")) {
        pending.push(join(dirname(file), specifier).replace(/\.js$/, ".ts"));
      } else if (!specifier.startsWith("node:")) {
        seen.add(
          specifier.startsWith("@")
            ? specifier.split("/").slice(0, 2).join("/")
            : (specifier.split("/")[0] ?? ""),
        );
      }
    }
  }
  return seen;
}

const heavy = (modules: Set<string>) =>
  [...modules]
    .filter((name) => name.startsWith("src/cloud-sim/") || name === "ajv" || name === "yaml")
    .sort();

test("starting `ballast` loads neither the reference cloud nor ajv nor yaml until a subcommand needs them", () => {
  assert.deepEqual(heavy(loadedAtStart("src/cli/main.ts")), []);
});

test("the driver modes (controller, node, all) load neither the reference cloud nor ajv nor yaml", () => {
  assert.deepEqual(heavy(loadedAtStart("src/cli/driver-command.ts")), []);
});

test("the walk finds the reference cloud where it is loaded, so the two tests above can fail", () => {
  assert.ok(heavy(loadedAtStart("src/cli/dev-command.ts")).includes("src/cloud-sim/index.ts"));
});
