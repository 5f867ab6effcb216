import { readFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * The node flags the image starts every mode with: `ENV NODE_OPTIONS=...` in the Dockerfile of
 * `repoRoot` (none when it sets none). The bench starts `ballast node` with them, so it measures
 * the runtime the image and the chart run.
 */
export function nodeOptionsOf(dockerfile: string): string[] {
  const match = /^ENV NODE_OPTIONS=(?:"([^"]*)"|(\S+))\s*$/m.exec(dockerfile);
  const value = match?.[1] ?? match?.[2] ?? "";
  return value.split(/\s+/).filter((flag) => flag !== "");
}

export async function imageNodeFlags(repoRoot: string): Promise<string[]> {
  const text = await readFile(join(repoRoot, "Dockerfile"), "utf8").catch(() => "");
  return nodeOptionsOf(text);
}
