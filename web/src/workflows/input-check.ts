/** A JSON Schema, as far as the start form checks it before sending (the server checks all of it). */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  additionalProperties?: boolean | JsonSchema;
}

export type InputCheck = { ok: true; value: unknown } | { ok: false; problems: string[] };

/**
 * Parse the editor's text and check it against the workflow's input schema when there is one:
 * types, required properties, enums, bounds. Anything subtler is left to the server's 422.
 */
export function checkInput(text: string, schema: JsonSchema | null): InputCheck {
  let value: unknown;
  try {
    value = text.trim() === "" ? {} : JSON.parse(text);
  } catch (error) {
    return { ok: false, problems: [`Not valid JSON: ${(error as Error).message}`] };
  }
  const problems: string[] = [];
  if (schema) check(value, schema, "input", problems);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value };
}

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function check(value: unknown, schema: JsonSchema, path: string, out: string[]): void {
  const actual = typeOf(value);
  const types = schema.type === undefined ? null : Array.isArray(schema.type) ? schema.type : [schema.type];
  if (types && !types.some((t) => t === actual || (t === "number" && actual === "integer"))) {
    out.push(`${path} must be ${types.join(" or ")}, got ${actual}`);
    return;
  }
  if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value)))
    out.push(`${path} must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(", ")}`);
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum)
      out.push(`${path} must be at least ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum)
      out.push(`${path} must be at most ${schema.maximum}`);
  }
  if (typeof value === "string") {
    if (schema.minLength !== undefined && value.length < schema.minLength)
      out.push(`${path} must have at least ${schema.minLength} characters`);
    if (schema.maxLength !== undefined && value.length > schema.maxLength)
      out.push(`${path} must have at most ${schema.maxLength} characters`);
  }
  if (actual === "object") {
    const record = value as Record<string, unknown>;
    for (const key of schema.required ?? []) if (!(key in record)) out.push(`${path}.${key} is required`);
    for (const [key, v] of Object.entries(record)) {
      const sub = schema.properties?.[key];
      if (sub) check(v, sub, `${path}.${key}`, out);
      else if (schema.additionalProperties === false) out.push(`${path}.${key} is not allowed`);
    }
  }
  if (actual === "array" && schema.items)
    for (const [i, v] of (value as unknown[]).entries()) check(v, schema.items, `${path}[${i}]`, out);
}
