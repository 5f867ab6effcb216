import { TemplateError, type Value } from "./helm-template-values.js";

/** The parsed form of a Go template: text, actions and the blocks that nest them. */
export type Node =
  | { kind: "text"; text: string }
  | { kind: "action"; pipe: Pipeline }
  | { kind: "if"; branches: { pipe: Pipeline; body: Node[] }[]; otherwise: Node[] }
  | { kind: "with"; pipe: Pipeline; body: Node[]; otherwise: Node[] }
  | { kind: "range"; pipe: Pipeline; body: Node[]; otherwise: Node[] };

export interface Pipeline {
  declare: string[];
  commands: Operand[][];
}

export type Operand =
  | { kind: "literal"; value: Value }
  | { kind: "field"; base: "dot" | string; path: string[] }
  | { kind: "function"; name: string }
  | { kind: "group"; pipe: Pipeline; path: string[] };

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

/** Parses a template file into nodes, adding its `define`s to `defines`. */
export function parseTemplate(source: string, defines: Map<string, Node[]>): Node[] {
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
