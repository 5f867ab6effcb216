// Loaded with `node --import`: records every module URL the process resolves into the file named
// by BALLAST_LOAD_LOG, one per line. The hooks run on their own thread, which loads this file again.
import { appendFileSync } from "node:fs";
import { register } from "node:module";
import { isMainThread } from "node:worker_threads";

if (isMainThread) register(import.meta.url);

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  const log = process.env.BALLAST_LOAD_LOG;
  if (log) appendFileSync(log, `${resolved.url}\n`);
  return resolved;
}
