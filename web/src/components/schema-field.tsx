import { useId } from "react";
import type { Field, Values } from "./schema-form-model";

/** One field of a form built from a JSON Schema: a checkbox, a list, a JSON box, a text or number box. */
export function FieldInput(props: {
  field: Field;
  value: Values[string] | undefined;
  onChange: (name: string, value: string | boolean) => void;
}) {
  const { field, value, onChange } = props;
  const id = useId();
  const label = `${field.label}${field.required ? "" : " (optional)"}`;
  if (field.kind === "boolean")
    return (
      <label className="checkbox">
        <input
          type="checkbox"
          checked={value === true}
          onChange={(e) => onChange(field.name, e.target.checked)}
        />{" "}
        {label}
      </label>
    );
  const text = typeof value === "string" ? value : "";
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {field.kind === "choice" ? (
        <select id={id} value={text} onChange={(e) => onChange(field.name, e.target.value)}>
          <option value="">—</option>
          {field.options.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      ) : field.kind === "json" ? (
        <textarea
          id={id}
          className="mono"
          rows={3}
          value={text}
          onChange={(e) => onChange(field.name, e.target.value)}
        />
      ) : (
        <input
          id={id}
          type={field.kind === "number" ? "number" : "text"}
          step="any"
          value={text}
          onChange={(e) => onChange(field.name, e.target.value)}
        />
      )}
    </div>
  );
}
