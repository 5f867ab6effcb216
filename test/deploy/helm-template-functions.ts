import { createHash } from "node:crypto";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { kindOf, print, strval, TemplateError, truthy, type Value } from "./helm-template-values.js";

/** What a function sees of the renderer: the dot for error messages and the defined templates. */
export interface FunctionContext {
  dot: Value;
  include(name: string, data: Value): string;
}

function indent(spaces: number, text: string): string {
  const pad = " ".repeat(spaces);
  return pad + text.replaceAll("\n", `\n${pad}`);
}

function goPrintf(format: string, args: Value[]): string {
  let next = 0;
  return format.replace(/%(.?)/g, (_, verb: string) => {
    if (verb !== "s") throw new TemplateError(`printf verb %${verb} is not supported here`);
    return print(args[next++]);
  });
}

function semverCompare(constraint: string, version: string): boolean {
  const m = /^>=\s*v?(\d+)\.(\d+)\.(\d+)(-0)?$/.exec(constraint);
  if (!m) throw new TemplateError(`semverCompare constraint ${constraint} is not supported here`);
  const v = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!v) throw new TemplateError(`semverCompare: bad version ${version}`);
  const want = [m[1], m[2], m[3]].map(Number);
  const have = [v[1], v[2], v[3]].map(Number);
  for (let i = 0; i < 3; i++) {
    if ((have[i] ?? 0) !== (want[i] ?? 0)) return (have[i] ?? 0) > (want[i] ?? 0);
  }
  return true;
}

/** Calls the Helm or Sprig function `name`; `include` renders a defined template. */
export function callFunction(name: string, args: Value[], context: FunctionContext): Value {
  const a = args;
  const str = (i: number) => {
    const v = a[i];
    if (typeof v !== "string")
      throw new TemplateError(`${name}: argument ${i + 1} is ${kindOf(v)}, not string`);
    return v;
  };
  switch (name) {
    case "include":
      return context.include(str(0), a[1]);
    case "toYaml":
      return a[0] === null || a[0] === undefined
        ? "null"
        : stringifyYaml(a[0], { sortMapEntries: true, lineWidth: 0 }).replace(/\n$/, "");
    case "fromYaml":
      try {
        return parseYaml(str(0)) ?? {};
      } catch (error) {
        return { Error: (error as Error).message };
      }
    case "nindent":
      return `\n${indent(Number(a[0]), strval(a[1]))}`;
    case "quote":
      return a
        .filter((v) => v !== null && v !== undefined)
        .map((v) => JSON.stringify(strval(v)))
        .join(" ");
    case "toString":
      return strval(a[0]);
    case "int64":
      return BigInt(Math.trunc(Number(typeof a[0] === "bigint" ? a[0] : (a[0] ?? 0))));
    case "default":
      return truthy(a[1]) ? a[1] : a[0];
    case "required":
      if (a[1] === null || a[1] === undefined || a[1] === "") throw new TemplateError(str(0));
      return a[1];
    case "fail":
      throw new TemplateError(str(0));
    case "printf":
      return goPrintf(str(0), a.slice(1));
    case "print":
      return a.reduce<string>((acc, v, i) => {
        const spaced = i > 0 && typeof v !== "string" && typeof a[i - 1] !== "string";
        return acc + (spaced ? " " : "") + print(v);
      }, "");
    case "trunc": {
      const n = Number(a[0]);
      const s = str(1);
      return n >= 0 ? s.slice(0, n) : s.slice(n);
    }
    case "trimSuffix":
      return str(1).endsWith(str(0)) ? str(1).slice(0, -str(0).length || undefined) : str(1);
    case "replace":
      return str(2).replaceAll(str(0), str(1));
    case "contains":
      return str(1).includes(str(0));
    case "eq":
      return a[0] === a[1];
    case "ne":
      return a[0] !== a[1];
    case "not":
      return !truthy(a[0]);
    case "list":
      return [...a];
    case "dict": {
      const map: Record<string, Value> = {};
      for (let i = 0; i < a.length; i += 2) map[str(i)] = a[i + 1];
      return map;
    }
    case "index":
      return a
        .slice(1)
        .reduce<Value>(
          (v, k) => (v === null || v === undefined ? undefined : (v as never)[k as never]),
          a[0],
        );
    case "first":
      return Array.isArray(a[0]) ? a[0][0] : undefined;
    case "kindIs":
      return kindOf(a[1]) === str(0);
    case "sha256sum":
      return createHash("sha256").update(str(0)).digest("hex");
    case "b64enc":
      return Buffer.from(str(0)).toString("base64");
    case "semverCompare":
      return semverCompare(str(0), str(1));
    default:
      throw new TemplateError(`function "${name}" not defined (scope ${kindOf(context.dot)})`);
  }
}
