import { invalidInput } from "./dialect.js";

type Requirement = (labels: Record<string, string>) => boolean;

/**
 * Hetzner's label selectors: comma-separated `k=v`, `k==v`, `k!=v`, `k`, `!k`, `k in (a,b)` and
 * `k notin (a,b)`, all of which must hold.
 */
export function parseLabelSelector(selector: string): Requirement {
  const terms = selector.split(/,(?![^(]*\))/).map((t) => t.trim());
  const requirements = terms.map((term): Requirement => {
    const set = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
    if (set !== null) {
      const [, key = "", op, list = ""] = set;
      const values = new Set(list.split(",").map((v) => v.trim()));
      return (labels) => (key in labels && values.has(labels[key] as string)) === (op === "in");
    }
    const compare = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
    if (compare !== null) {
      const [, key = "", op, value] = compare;
      return op === "!=" ? (labels) => labels[key] !== value : (labels) => labels[key] === value;
    }
    if (/^![^=!\s]+$/.test(term)) return (labels) => !(term.slice(1) in labels);
    if (/^[^=!\s()]+$/.test(term)) return (labels) => term in labels;
    throw invalidInput(`label_selector: ${JSON.stringify(term)} is not a label selector term`);
  });
  return (labels) => requirements.every((holds) => holds(labels));
}
