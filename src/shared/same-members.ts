/** Whether two lists hold the same ids, in any order (a group's volumes or snapshots). */
export function sameMembers(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join("\n") === [...b].sort().join("\n");
}
