import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { templates, type Values } from "./chart.js";
import { callFunction } from "./helm-template-functions.js";
import { type Node, type Operand, type Pipeline, parseTemplate } from "./helm-template-syntax.js";
import { field, isMap, print, TemplateError, truthy, type Value } from "./helm-template-values.js";

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
 *
 * This file executes parsed templates; helm-template-syntax.ts parses them,
 * helm-template-values.ts holds Go's value semantics and helm-template-functions.ts the functions.
 */

interface Scope {
  dot: Value;
  root: Value;
  vars: Map<string, Value>[];
}

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
    return callFunction(name, args, {
      dot: scope.dot,
      include: (template, data) => this.include(template, data),
    });
  }
}
