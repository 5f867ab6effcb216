import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

export const chartDir = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../deploy/helm/ballast-csi",
);

export type Values = { [key: string]: unknown };

export function readYaml(file: string): unknown {
  return parse(readFileSync(file, "utf8"));
}

export function defaultValues(): Values {
  return readYaml(path.join(chartDir, "values.yaml")) as Values;
}

function isMap(value: unknown): value is Values {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Helm's coalescing of a values file over the chart's values: maps merge, null deletes, the rest replaces. */
export function mergeValues(base: Values, override: Values): Values {
  const merged: Values = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value === null) delete merged[key];
    else if (isMap(value) && isMap(merged[key])) merged[key] = mergeValues(merged[key] as Values, value);
    else merged[key] = value;
  }
  return merged;
}

/**
 * Dotted paths of every value: map keys recurse; a list of maps contributes `list[].key` for the
 * keys of its items; any other list or scalar is a leaf.
 */
export function valuePaths(values: Values, prefix = ""): string[] {
  const paths: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    const here = prefix === "" ? key : `${prefix}.${key}`;
    if (isMap(value) && Object.keys(value).length > 0) {
      paths.push(...valuePaths(value, here));
    } else if (Array.isArray(value) && value.length > 0 && value.every(isMap)) {
      paths.push(here);
      const keys = new Set(value.flatMap((item) => Object.keys(item)));
      paths.push(...[...keys].map((k) => `${here}[].${k}`));
    } else {
      paths.push(here);
    }
  }
  return paths;
}

export function ciValueFiles(): string[] {
  return readdirSync(path.join(chartDir, "ci"))
    .filter((f) => f.endsWith(".yaml"))
    .sort();
}

/** Every template file of the chart, relative to templates/, with its text. */
export function templates(): { file: string; text: string }[] {
  const root = path.join(chartDir, "templates");
  return (readdirSync(root, { recursive: true }) as string[])
    .filter((f) => /\.(yaml|tpl|txt)$/.test(f))
    .sort()
    .map((file) => ({ file, text: readFileSync(path.join(root, file), "utf8") }));
}
