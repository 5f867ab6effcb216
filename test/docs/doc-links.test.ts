import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DOCS = [
  "README.md",
  "deploy/helm/ballast-csi/README.md",
  ...readdirSync(path.join(ROOT, "docs"))
    .filter((name) => name.endsWith(".md"))
    .map((name) => `docs/${name}`),
];

// Code blocks and code spans hold shell and YAML, not links.
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, "").replace(/`[^`\n]*`/g, "");
}

// GitHub's anchors: lower case, punctuation other than - and _ dropped, spaces become -,
// and a repeated heading gets -1, -2, ...
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const [, heading = ""] of markdown.replace(/^```[\s\S]*?^```/gm, "").matchAll(/^#{1,6} (.+)$/gm)) {
    const base = heading
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

function brokenLinks(doc: string): string[] {
  const text = readFileSync(path.join(ROOT, doc), "utf8");
  const broken: string[] = [];
  for (const [, target = ""] of prose(text).matchAll(/\]\(([^)\s]+)(?: "[^"]*")?\)/g)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
    const [file = "", anchor] = target.split("#");
    const resolved =
      file === "" ? path.join(ROOT, doc) : path.resolve(path.dirname(path.join(ROOT, doc)), file);
    if (!existsSync(resolved)) {
      broken.push(`${target}: no file ${path.relative(ROOT, resolved)}`);
      continue;
    }
    if (anchor === undefined) continue;
    if (!statSync(resolved).isFile() || !anchorsOf(readFileSync(resolved, "utf8")).has(anchor)) {
      broken.push(`${target}: no heading #${anchor} in ${path.relative(ROOT, resolved)}`);
    }
  }
  return broken;
}

for (const doc of DOCS) {
  test(`every relative link and anchor in ${doc} resolves`, () => {
    assert.deepEqual(brokenLinks(doc), []);
  });
}
