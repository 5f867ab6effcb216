import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { templates, type Values } from "./chart.js";

/*
 * A renderer for this chart's templates, standing in for `helm template` where no helm binary
 * exists (helm-binary.test.ts runs the real helm when there is one). It implements exactly
 * what the chart's templates use, and nothing more:
 * - Go text/template: actions with trim markers, double-quoted strings, pipelines, `$var :=`,
 *   `if`/`else if`/`else`, `with`/`else`, `range` (lists and maps, `$k, $v :=`, `else`), `define`,
 *   lazy `and`/`or`, `not`, `print`, `printf` (%s only). No `template` action, `=` assignment or
 *   raw strings: the chart uses `include`.
 * - Helm: `include`, `required`, `fail`, `toYaml`, `fromYaml`, `.Files.Get`, `.Capabilities`
 *   (`APIVersions.Has`, `KubeVersion.Version`), `.Release`, `.Chart`, `.Template`.
 * - Sprig: `default`, `quote`, `toString`, `int64`, `nindent`, `trunc`, `trimSuffix`, `replace`,
 *   `contains`, `list`, `dict`, `index`, `first`, `kindIs`, `sha256sum`, `b64enc`,
 *   `semverCompare` (one `>=` constraint only).
 * Where Go and JavaScript differ in ways that reach the output it follows Go: values files hold
 * float64 numbers that print as `1e+06` from a million up, `int64` gives integers, a field of a nil
 * value is an error, a missing map key prints nothing. Any other function, keyword or syntax throws
 * a TemplateError naming it, so a template change that needs more fails a test instead of rendering
 * wrong.
 */

type Value = unknown;

interface Scope {
  dot: Value;
  root: Value;
  vars: Map<string, Value>[];
}

type Node =
  | { kind: "text"; text: string }
  | { kind: "action"; pipe: Pipeline }
  | { kind: "if"; branches: { pipe: Pipeline; body: Node[] }[]; otherwise: Node[] }
  | { kind: "with"; pipe: Pipeline; body: Node[]; otherwise: Node[] }
  | { kind: "range"; pipe: Pipeline; body: Node[]; otherwise: Node[] };

interface Pipeline {
  declare: string[];
  commands: Operand[][];
}

type Operand =
  | { kind: "literal"; value: Value }
  | { kind: "field"; base: "dot" | string; path: string[] }
  | { kind: "function"; name: string }
  | { kind: "group"; pipe: Pipeline; path: string[] };

class TemplateError extends Error {}

// ---------------------------------------------------------------- lexing of one action

type Token =
  | { t: "string"; v: string }
  | { t: "number"; v: number }
  | { t: "ident"; v: string }
  | { t: "field"; v: string[]; attached: boolean }
  | { t: "var"; v: string; path: string[] }
  | { t: "punct"; v: "(" | ")" | "|" | ":=" | "," };

function lexAction(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fieldPath = (): string[] => {
    const parts: string[] = [];
    while (source[i] === "." && /[A-Za-z_]/.test(source[i + 1] ?? "")) {
      i++;
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i));
      parts.push(m?.[0] ?? "");
      i += m?.[0].length ?? 0;
    }
    return parts;
  };
  while (i < source.length) {
    const c = source[i] ?? "";
    if (/\s/.test(c)) {
      i++;
    } else if (c === '"') {
      let j = i + 1;
      while (j < source.length && source[j] !== '"') j += source[j] === "\\" ? 2 : 1;
      tokens.push({ t: "string", v: JSON.parse(source.slice(i, j + 1)) as string });
      i = j + 1;
    } else if (c === "(" || c === ")" || c === "|" || c === ",") {
      tokens.push({ t: "punct", v: c });
      i++;
    } else if (source.startsWith(":=", i)) {
      tokens.push({ t: "punct", v: ":=" });
      i += 2;
    } else if (c === ".") {
      // `(pipeline).field` reads a field of the group's result; with a space it is another operand.
      const attached = source[i - 1] === ")";
      if (/[A-Za-z_]/.test(source[i + 1] ?? "")) tokens.push({ t: "field", v: fieldPath(), attached });
      else {
        tokens.push({ t: "field", v: [], attached });
        i++;
      }
    } else if (c === "$") {
      const m = /^\$[A-Za-z0-9_]*/.exec(source.slice(i));
      i += m?.[0].length ?? 1;
      tokens.push({ t: "var", v: m?.[0] ?? "$", path: fieldPath() });
    } else if (/[-0-9]/.test(c)) {
      const m = /^-?[0-9]+(\.[0-9]+)?/.exec(source.slice(i));
      if (!m) throw new TemplateError(`cannot lex ${source.slice(i)}`);
      tokens.push({ t: "number", v: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i));
      tokens.push({ t: "ident", v: m?.[0] ?? "" });
      i += m?.[0].length ?? 1;
    } else {
      throw new TemplateError(`unexpected ${c} in {{ ${source} }}`);
    }
  }
  return tokens;
}

function parsePipeline(tokens: Token[], allowDeclare = true): Pipeline {
  let pos = 0;
  const declare: string[] = [];
  if (allowDeclare) {
    const end = tokens.findIndex((t) => t.t === "punct" && t.v === ":=");
    const head = end > 0 ? tokens.slice(0, end) : [];
    if (head.length > 0 && head.every((t) => t.t === "var" || (t.t === "punct" && t.v === ","))) {
      for (const t of head) if (t.t === "var") declare.push(t.v);
      pos = end + 1;
    }
  }
  const operand = (): Operand => {
    const token = tokens[pos++];
    if (token === undefined) throw new TemplateError("missing operand");
    switch (token.t) {
      case "string":
      case "number":
        return { kind: "literal", value: token.v };
      case "field":
        return { kind: "field", base: "dot", path: token.v };
      case "var":
        return { kind: "field", base: token.v, path: token.path };
      case "ident":
        if (token.v === "true" || token.v === "false") return { kind: "literal", value: token.v === "true" };
        if (token.v === "nil") return { kind: "literal", value: null };
        return { kind: "function", name: token.v };
      case "punct": {
        if (token.v !== "(") throw new TemplateError(`unexpected ${token.v}`);
        let depth = 1;
        const start = pos;
        while (depth > 0) {
          const t = tokens[pos++];
          if (t === undefined) throw new TemplateError("unclosed (");
          if (t.t === "punct" && t.v === "(") depth++;
          if (t.t === "punct" && t.v === ")") depth--;
        }
        const inner = parsePipeline(tokens.slice(start, pos - 1), false);
        const next = tokens[pos];
        let pathAfter: string[] = [];
        if (next?.t === "field" && next.attached && next.v.length > 0) {
          pathAfter = next.v;
          pos++;
        }
        return { kind: "group", pipe: inner, path: pathAfter };
      }
    }
  };
  const commands: Operand[][] = [[]];
  while (pos < tokens.length) {
    const token = tokens[pos];
    if (token?.t === "punct" && token.v === "|") {
      pos++;
      commands.push([]);
      continue;
    }
    commands.at(-1)?.push(operand());
  }
  if (commands.some((c) => c.length === 0)) throw new TemplateError("empty command in pipeline");
  return { declare, commands };
}

// ---------------------------------------------------------------- parsing of a template file

interface RawAction {
  text: string;
  action?: string;
}

/** Splits a template into text and actions, applying `{{-` / `-}}` trimming and dropping comments. */
function split(source: string): RawAction[] {
  const parts: RawAction[] = [];
  let i = 0;
  let trimNext = false;
  while (i < source.length) {
    const open = source.indexOf("{{", i);
    let text = source.slice(i, open === -1 ? source.length : open);
    if (trimNext) text = text.replace(/^\s+/, "");
    if (open === -1) {
      parts.push({ text });
      break;
    }
    const close = source.indexOf("}}", open);
    if (close === -1) throw new TemplateError("unclosed action");
    let body = source.slice(open + 2, close);
    if (/^-\s/.test(body)) {
      text = text.replace(/\s+$/, "");
      body = body.slice(1);
    }
    trimNext = /\s-$/.test(body);
    if (trimNext) body = body.slice(0, -1);
    body = body.trim();
    parts.push({ text });
    if (!body.startsWith("/*")) parts.push({ text: "", action: body });
    i = close + 2;
  }
  return parts;
}

function parseTemplate(source: string, defines: Map<string, Node[]>): Node[] {
  const parts = split(source);
  let pos = 0;
  const block = (terminators: string[]): { nodes: Node[]; ended: string } => {
    const nodes: Node[] = [];
    while (pos < parts.length) {
      const part = parts[pos++] as RawAction;
      if (part.text !== "") nodes.push({ kind: "text", text: part.text });
      if (part.action === undefined) continue;
      const action = part.action;
      const keyword = /^[a-z]+/.exec(action)?.[0] ?? "";
      const rest = action.slice(keyword.length);
      if (keyword === "end" || keyword === "else") {
        if (!terminators.includes(keyword)) throw new TemplateError(`unexpected ${action}`);
        return { nodes, ended: action };
      }
      if (keyword === "if") {
        const branches = [{ pipe: parsePipeline(lexAction(rest)), body: [] as Node[] }];
        let otherwise: Node[] = [];
        for (;;) {
          const inner = block(["end", "else"]);
          (branches.at(-1) as { body: Node[] }).body = inner.nodes;
          if (inner.ended === "end") break;
          const elseIf = /^else\s+if\s+([\s\S]*)$/.exec(inner.ended);
          if (elseIf) {
            branches.push({ pipe: parsePipeline(lexAction(elseIf[1] ?? "")), body: [] });
            continue;
          }
          otherwise = block(["end"]).nodes;
          break;
        }
        nodes.push({ kind: "if", branches, otherwise });
      } else if (keyword === "with" || keyword === "range") {
        const pipe = parsePipeline(lexAction(rest));
        const inner = block(["end", "else"]);
        const otherwise = inner.ended === "end" ? [] : block(["end"]).nodes;
        nodes.push({ kind: keyword, pipe, body: inner.nodes, otherwise });
      } else if (keyword === "define") {
        const name = (lexAction(rest)[0] as { v: string }).v;
        defines.set(name, block(["end"]).nodes);
      } else {
        nodes.push({ kind: "action", pipe: parsePipeline(lexAction(action)) });
      }
    }
    if (terminators.length > 0) throw new TemplateError(`missing {{ end }}`);
    return { nodes, ended: "" };
  };
  return block([]).nodes;
}

// ---------------------------------------------------------------- Go values

function isMap(value: Value): value is Record<string, Value> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function truthy(value: Value): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === "") return false;
  if (typeof value === "bigint") return value !== 0n;
  if (Array.isArray(value)) return value.length > 0;
  if (isMap(value)) return Object.keys(value).length > 0;
  return true;
}

/** Go's %v of a float64: shortest digits, exponent form from 1e21 down to 1e6 as Go prints it. */
function goFloat(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e6) return String(n);
  const exp = Math.floor(Math.log10(Math.abs(n)));
  if (exp < -4 || exp >= 21 || (Number.isInteger(n) && exp >= 6)) {
    const [mantissa, e] = n.toExponential().split("e");
    const power = Number(e);
    return `${mantissa}e${power < 0 ? "-" : "+"}${String(Math.abs(power)).padStart(2, "0")}`;
  }
  return String(n);
}

function print(value: Value): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return goFloat(value);
  if (typeof value === "string" || typeof value === "boolean" || typeof value === "bigint")
    return String(value);
  if (Array.isArray(value)) return `[${value.map(print).join(" ")}]`;
  return `map[${Object.keys(value as object)
    .sort()
    .map((k) => `${k}:${print((value as Record<string, Value>)[k])}`)
    .join(" ")}]`;
}

/** Sprig's strval. */
function strval(value: Value): string {
  return value === null || value === undefined ? "<nil>" : print(value);
}

function field(value: Value, name: string): Value {
  if (value === null || value === undefined)
    throw new TemplateError(`nil pointer evaluating interface {}.${name}`);
  if (!isMap(value)) throw new TemplateError(`can't evaluate field ${name} in type ${typeof value}`);
  return value[name];
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

function kindOf(value: Value): string {
  if (value === null || value === undefined) return "invalid";
  if (typeof value === "string") return "string";
  if (typeof value === "boolean") return "bool";
  if (typeof value === "number") return "float64";
  if (typeof value === "bigint") return "int64";
  if (Array.isArray(value)) return "slice";
  return "map";
}

// ---------------------------------------------------------------- evaluation

export interface RenderOptions {
  releaseName: string;
  namespace: string;
  kubeVersion?: string;
  apiVersions?: string[];
}

export interface RenderedChart {
  /** Rendered manifests by template file (relative to templates/), empty ones left out. */
  manifests: Map<string, string>;
  notes: string;
}

export class ChartRenderer {
  private readonly defines = new Map<string, Node[]>();
  private readonly files = new Map<string, Node[]>();

  /** `sources` defaults to the chart's templates/ files; tests of the renderer pass their own. */
  constructor(
    private readonly chartDir: string,
    sources: { file: string; text: string }[] = templates(),
  ) {
    for (const { file, text } of sources) {
      this.files.set(file, parseTemplate(text, this.defines));
      this.defines.set(`${path.basename(chartDir)}/templates/${file}`, this.files.get(file) as Node[]);
    }
  }

  render(values: Values, options: RenderOptions): RenderedChart {
    const chart = parseYaml(readFileSync(path.join(this.chartDir, "Chart.yaml"), "utf8")) as Record<
      string,
      string
    >;
    const apiVersions = new Set(options.apiVersions ?? []);
    const kubeVersion = options.kubeVersion ?? "v1.34.0";
    const root = {
      Values: values,
      Release: {
        Name: options.releaseName,
        Namespace: options.namespace,
        Service: "Helm",
        IsInstall: true,
        IsUpgrade: false,
        Revision: 1,
      },
      Chart: { Name: chart.name, Version: chart.version, AppVersion: chart.appVersion },
      Files: {
        Get: (file: string) => {
          const full = path.join(this.chartDir, file);
          return existsSync(full) ? readFileSync(full, "utf8") : "";
        },
      },
      Capabilities: {
        KubeVersion: {
          Version: kubeVersion,
          Major: kubeVersion.split(".")[0]?.slice(1),
          Minor: kubeVersion.split(".")[1],
        },
        APIVersions: { Has: (version: string) => apiVersions.has(version) },
      },
      Template: { BasePath: `${path.basename(this.chartDir)}/templates`, Name: "" },
    };
    const manifests = new Map<string, string>();
    let notes = "";
    for (const [file, nodes] of this.files) {
      const base = path.basename(file);
      if (base.startsWith("_")) continue;
      const context = { ...root, Template: { ...root.Template, Name: `${root.Template.BasePath}/${file}` } };
      let output: string;
      try {
        output = this.execute(nodes, { dot: context, root: context, vars: [new Map([["$", context]])] });
      } catch (error) {
        throw new TemplateError(`${context.Template.Name}: ${(error as Error).message}`);
      }
      if (base === "NOTES.txt") notes = output;
      else if (output.trim() !== "") manifests.set(file, output);
    }
    return { manifests, notes };
  }

  private execute(nodes: Node[], scope: Scope): string {
    let out = "";
    const inner: Scope = { ...scope, vars: [...scope.vars, new Map()] };
    for (const node of nodes) {
      switch (node.kind) {
        case "text":
          out += node.text;
          break;
        case "action": {
          const value = this.pipeline(node.pipe, inner);
          if (node.pipe.declare.length === 0) out += print(value);
          break;
        }
        case "if": {
          const branch = node.branches.find((b) => truthy(this.pipeline(b.pipe, inner)));
          out += this.execute(branch ? branch.body : node.otherwise, inner);
          break;
        }
        case "with": {
          const value = this.pipeline(node.pipe, inner);
          out += truthy(value)
            ? this.execute(node.body, { ...inner, dot: value })
            : this.execute(node.otherwise, inner);
          break;
        }
        case "range":
          out += this.range(node, inner);
          break;
      }
    }
    return out;
  }

  private range(node: Extract<Node, { kind: "range" }>, scope: Scope): string {
    const collection = this.pipeline({ ...node.pipe, declare: [] }, scope);
    const entries: [Value, Value][] = Array.isArray(collection)
      ? collection.map((v, i) => [i, v])
      : isMap(collection)
        ? Object.keys(collection)
            .sort()
            .map((k) => [k, collection[k]])
        : collection === null || collection === undefined
          ? []
          : (() => {
              throw new TemplateError(`range can't iterate over ${print(collection)}`);
            })();
    if (entries.length === 0) return this.execute(node.otherwise, scope);
    let out = "";
    for (const [key, value] of entries) {
      const vars = new Map<string, Value>();
      if (node.pipe.declare.length === 1) vars.set(node.pipe.declare[0] as string, value);
      if (node.pipe.declare.length === 2) {
        vars.set(node.pipe.declare[0] as string, key);
        vars.set(node.pipe.declare[1] as string, value);
      }
      out += this.execute(node.body, { ...scope, dot: value, vars: [...scope.vars, vars] });
    }
    return out;
  }

  private include(name: string, data: Value): string {
    const nodes = this.defines.get(name);
    if (nodes === undefined) throw new TemplateError(`no template "${name}"`);
    return this.execute(nodes, { dot: data, root: data, vars: [new Map([["$", data]])] });
  }

  private lookupVar(name: string, scope: Scope): Value {
    for (let i = scope.vars.length - 1; i >= 0; i--) {
      const frame = scope.vars[i] as Map<string, Value>;
      if (frame.has(name)) return frame.get(name);
    }
    throw new TemplateError(`undefined variable ${name}`);
  }

  private pipeline(pipe: Pipeline, scope: Scope): Value {
    let value: Value;
    let piped = false;
    for (const command of pipe.commands) {
      value = this.command(command, scope, piped ? [value] : []);
      piped = true;
    }
    if (pipe.declare.length === 1) scope.vars.at(-1)?.set(pipe.declare[0] as string, value);
    return value;
  }

  private operand(operand: Operand, scope: Scope): Value {
    switch (operand.kind) {
      case "literal":
        return operand.value;
      case "field": {
        let value = operand.base === "dot" ? scope.dot : this.lookupVar(operand.base, scope);
        for (const name of operand.path) value = field(value, name);
        return value;
      }
      case "group": {
        let value = this.pipeline(operand.pipe, scope);
        for (const name of operand.path) value = field(value, name);
        return value;
      }
      case "function":
        return this.call(operand.name, [], scope);
    }
  }

  private command(command: Operand[], scope: Scope, piped: Value[]): Value {
    const [head, ...rest] = command;
    if (head === undefined) throw new TemplateError("empty command");
    if (head.kind === "function") {
      if (head.name === "and" || head.name === "or") {
        const operands: (() => Value)[] = [
          ...rest.map((o) => () => this.operand(o, scope)),
          ...piped.map((p) => () => p),
        ];
        let result: Value;
        for (const next of operands) {
          result = next();
          if (head.name === "and" ? !truthy(result) : truthy(result)) return result;
        }
        return result;
      }
      return this.call(head.name, [...rest.map((o) => this.operand(o, scope)), ...piped], scope);
    }
    const value = this.operand(head, scope);
    if (typeof value === "function") return value(...rest.map((o) => this.operand(o, scope)), ...piped);
    if (rest.length > 0 || piped.length > 0) throw new TemplateError("can't give argument to non-function");
    return value;
  }

  private call(name: string, args: Value[], scope: Scope): Value {
    const a = args;
    const str = (i: number) => {
      const v = a[i];
      if (typeof v !== "string")
        throw new TemplateError(`${name}: argument ${i + 1} is ${kindOf(v)}, not string`);
      return v;
    };
    switch (name) {
      case "include":
        return this.include(str(0), a[1]);
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
        throw new TemplateError(`function "${name}" not defined (scope ${kindOf(scope.dot)})`);
    }
  }
}
