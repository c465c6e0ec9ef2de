import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { SchemaForm, Values } from "../../web/src/components/schema-form-model.js";
import { webModule } from "./helpers/web-module.js";

// A form built from a JSON Schema (a signal wait's answer, a run's input), and the data it sends.
const { schemaForm, schemaData, schemaValues } = await webModule<{
  schemaForm: (schema: unknown) => SchemaForm;
  schemaValues: (form: SchemaForm, data: unknown) => Values;
  schemaData: (
    form: SchemaForm,
    values: Values,
    decision?: boolean,
  ) => { data: unknown } | { problem: string };
}>("components/schema-form-model.ts");

const schema = {
  type: "object",
  properties: {
    approved: { type: "boolean" },
    reason: { type: "string", title: "Reason" },
    risk: { enum: ["low", "high"] },
    budget: { type: "integer" },
    tags: { type: "array" },
  },
  required: ["approved", "reason"],
};

describe("signal answer form", () => {
  test("one field per property; the only yes-or-no property is the Approve / Reject decision", () => {
    const form = schemaForm(schema);
    assert.equal(form.decision, "approved");
    assert.deepEqual(
      form.fields?.map((f) => [f.name, f.kind, f.label, f.required]),
      [
        ["approved", "boolean", "approved", true],
        ["reason", "text", "Reason", true],
        ["risk", "choice", "risk", false],
        ["budget", "number", "budget", false],
        ["tags", "json", "tags", false],
      ],
    );
    const two = schemaForm({
      type: "object",
      properties: { a: { type: "boolean" }, b: { type: "boolean" } },
    });
    assert.equal(two.decision, null, "two checkboxes and one Send button");
  });

  test("no schema, or one that is not an object of properties, is one JSON box", () => {
    for (const s of [null, { type: "string" }, { type: "object" }]) assert.equal(schemaForm(s).fields, null);
    const box = schemaForm(null);
    assert.deepEqual(schemaData(box, { "": '{"ok":1}' }), { data: { ok: 1 } });
    assert.deepEqual(schemaData(box, {}), { data: null });
    assert.deepEqual(schemaData(box, { "": "{ok" }), { problem: "The data is not valid JSON." });
  });

  test("the data: typed values, the decision, empty optional fields left out", () => {
    const form = schemaForm(schema);
    const values = { reason: "fine", budget: "12", tags: '["a"]', risk: "" };
    assert.deepEqual(schemaData(form, values, false), {
      data: { approved: false, reason: "fine", budget: 12, tags: ["a"] },
    });
    assert.deepEqual(schemaData(form, {}, true), { data: { approved: true, reason: "" } });
    assert.deepEqual(schemaData(form, { budget: "lots" }, true), { problem: "budget must be a number." });
    assert.deepEqual(schemaData(form, { tags: "[" }, true), { problem: "tags is not valid JSON." });
  });

  test("data typed as JSON fills the form's fields, and reads back the same", () => {
    const form = { ...schemaForm(schema), decision: null };
    const data = { approved: true, reason: "fine", risk: "low", budget: 12, tags: ["a"], other: 1 };
    const values = schemaValues(form, data);
    assert.deepEqual(values, { approved: true, reason: "fine", risk: "low", budget: "12", tags: '["a"]' });
    const { other: _, ...fields } = data;
    assert.deepEqual(schemaData(form, values), { data: fields });
    assert.deepEqual(schemaValues(form, "not an object"), {});
  });
});
