import { readFileSync } from "node:fs";

/**
 * The package version, read from package.json two levels up from this file: the same relative
 * place under src/cli (tsx) and dist/cli (the built binary).
 */
export function vendorVersion(): string {
  const path = new URL("../../package.json", import.meta.url);
  const pkg = JSON.parse(readFileSync(path, "utf8")) as { version?: unknown };
  return typeof pkg.version === "string" ? pkg.version : "0.0.0";
}
