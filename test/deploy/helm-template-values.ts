/** Go's and Sprig's view of template values, where it differs from JavaScript's. */

export type Value = unknown;

export class TemplateError extends Error {}

export function isMap(value: Value): value is Record<string, Value> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function truthy(value: Value): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === "") return false;
  if (typeof value === "bigint") return value !== 0n;
  if (Array.isArray(value)) return value.length > 0;
  if (isMap(value)) return Object.keys(value).length > 0;
  return true;
}

/** Go's %v of a float64: shortest digits, exponent form from 1e21 down to 1e6 as Go prints it. */
export function goFloat(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e6) return String(n);
  const exp = Math.floor(Math.log10(Math.abs(n)));
  if (exp < -4 || exp >= 21 || (Number.isInteger(n) && exp >= 6)) {
    const [mantissa, e] = n.toExponential().split("e");
    const power = Number(e);
    return `${mantissa}e${power < 0 ? "-" : "+"}${String(Math.abs(power)).padStart(2, "0")}`;
  }
  return String(n);
}

export function print(value: Value): string {
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
export function strval(value: Value): string {
  return value === null || value === undefined ? "<nil>" : print(value);
}

export function field(value: Value, name: string): Value {
  if (value === null || value === undefined)
    throw new TemplateError(`nil pointer evaluating interface {}.${name}`);
  if (!isMap(value)) throw new TemplateError(`can't evaluate field ${name} in type ${typeof value}`);
  return value[name];
}

export function kindOf(value: Value): string {
  if (value === null || value === undefined) return "invalid";
  if (typeof value === "string") return "string";
  if (typeof value === "boolean") return "bool";
  if (typeof value === "number") return "float64";
  if (typeof value === "bigint") return "int64";
  if (Array.isArray(value)) return "slice";
  return "map";
}
