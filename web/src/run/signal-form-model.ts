/**
 * The answer form of a step waiting for a signal, built from the JSON Schema the wait declared: one
 * field per property of an object schema, and Approve / Reject buttons for its yes-or-no property.
 * Any other schema (or none) is answered with one JSON box. The server checks the data against the
 * schema either way; the form only spares the user from writing JSON.
 */

export type Field =
  | { kind: "boolean"; name: string; label: string; required: boolean }
  | { kind: "choice"; name: string; label: string; required: boolean; options: string[] }
  | { kind: "text"; name: string; label: string; required: boolean }
  | { kind: "number"; name: string; label: string; required: boolean }
  | { kind: "json"; name: string; label: string; required: boolean };

export interface SignalForm {
  /** null: the data is typed as JSON in one box. */
  fields: Field[] | null;
  /** The boolean field the Approve (true) and Reject (false) buttons answer; null: one Send button. */
  decision: string | null;
}

/** A field's typed value: a checkbox's boolean, any other input's text. */
export type Values = Record<string, string | boolean>;

type Schema = Record<string, unknown>;

function isSchema(value: unknown): value is Schema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function signalForm(schema: unknown): SignalForm {
  if (!isSchema(schema) || !isSchema(schema.properties)) return { fields: null, decision: null };
  const required = new Set(Array.isArray(schema.required) ? schema.required : []);
  const fields = Object.entries(schema.properties).map(([name, property]) =>
    fieldOf(name, isSchema(property) ? property : {}, required.has(name)),
  );
  const booleans = fields.filter((f) => f.kind === "boolean");
  return { fields, decision: booleans.length === 1 ? booleans[0]!.name : null };
}

function fieldOf(name: string, property: Schema, required: boolean): Field {
  const label = typeof property.title === "string" ? property.title : name;
  const base = { name, label, required };
  if (Array.isArray(property.enum) && property.enum.every((v) => typeof v === "string"))
    return { ...base, kind: "choice", options: property.enum };
  if (property.type === "boolean") return { ...base, kind: "boolean" };
  if (property.type === "string") return { ...base, kind: "text" };
  if (property.type === "number" || property.type === "integer") return { ...base, kind: "number" };
  return { ...base, kind: "json" };
}

/**
 * The signal's data from the form's values (`decision`: the Approve / Reject answer), or the one
 * sentence that says which field cannot be read. Empty optional fields are left out.
 */
export function signalData(
  form: SignalForm,
  values: Values,
  decision?: boolean,
): { data: unknown } | { problem: string } {
  if (!form.fields) return parseJson(String(values[""] ?? ""), "The data");
  const data: Record<string, unknown> = {};
  for (const field of form.fields) {
    if (field.name === form.decision && decision !== undefined) {
      data[field.name] = decision;
      continue;
    }
    const value = values[field.name];
    if (field.kind === "boolean") {
      data[field.name] = value === true;
      continue;
    }
    const text = typeof value === "string" ? value : "";
    if (text.trim() === "") {
      if (field.required && field.kind === "text") data[field.name] = "";
      continue;
    }
    if (field.kind === "number") {
      const n = Number(text);
      if (!Number.isFinite(n)) return { problem: `${field.label} must be a number.` };
      data[field.name] = n;
    } else if (field.kind === "json") {
      const parsed = parseJson(text, field.label);
      if ("problem" in parsed) return parsed;
      data[field.name] = parsed.data;
    } else data[field.name] = text;
  }
  return { data };
}

function parseJson(text: string, what: string): { data: unknown } | { problem: string } {
  if (text.trim() === "") return { data: null };
  try {
    return { data: JSON.parse(text) };
  } catch {
    return { problem: `${what} is not valid JSON.` };
  }
}
