/**
 * A form built from a JSON Schema: one field per property of an object schema (a signal's answer,
 * a run's input). For a signal, its one yes-or-no property is answered by Approve / Reject buttons.
 * Any other schema (or none) is typed as JSON in one box. The server checks the data against the
 * schema either way; the form only spares the user from writing JSON.
 */

export type Field =
  | { kind: "boolean"; name: string; label: string; required: boolean }
  | { kind: "choice"; name: string; label: string; required: boolean; options: string[] }
  | { kind: "text"; name: string; label: string; required: boolean }
  | { kind: "number"; name: string; label: string; required: boolean }
  | { kind: "json"; name: string; label: string; required: boolean };

export interface SchemaForm {
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

export function schemaForm(schema: unknown): SchemaForm {
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
 * The data from the form's values (`decision`: a signal's Approve / Reject answer), or the one
 * sentence that says which field cannot be read. Empty optional fields are left out.
 */
export function schemaData(
  form: SchemaForm,
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

/**
 * The values that show `data` in the form's fields (switching from the JSON box to the form): its
 * properties that are fields, as their inputs hold them.
 */
export function schemaValues(form: SchemaForm, data: unknown): Values {
  const values: Values = {};
  if (!form.fields || !isSchema(data)) return values;
  for (const field of form.fields) {
    const value = data[field.name];
    if (value === undefined || value === null) continue;
    if (field.kind === "boolean") values[field.name] = value === true;
    else if (field.kind === "json" || typeof value === "object") values[field.name] = JSON.stringify(value);
    else values[field.name] = String(value);
  }
  return values;
}

function parseJson(text: string, what: string): { data: unknown } | { problem: string } {
  if (text.trim() === "") return { data: null };
  try {
    return { data: JSON.parse(text) };
  } catch {
    return { problem: `${what} is not valid JSON.` };
  }
}
