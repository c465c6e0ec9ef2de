import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { SignalForm, Values } from "../../web/src/run/signal-form-model.js";
import { webModule } from "./helpers/web-module.js";

// The answer form of a signal wait, built from its JSON Schema, and the data it sends.
const { signalForm, signalData } = await webModule<{
  signalForm: (schema: unknown) => SignalForm;
  signalData: (
    form: SignalForm,
    values: Values,
    decision?: boolean,
  ) => { data: unknown } | { problem: string };
}>("run/signal-form-model.ts");

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
    const form = signalForm(schema);
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
    const two = signalForm({
      type: "object",
      properties: { a: { type: "boolean" }, b: { type: "boolean" } },
    });
    assert.equal(two.decision, null, "two checkboxes and one Send button");
  });

  test("no schema, or one that is not an object of properties, is one JSON box", () => {
    for (const s of [null, { type: "string" }, { type: "object" }]) assert.equal(signalForm(s).fields, null);
    const box = signalForm(null);
    assert.deepEqual(signalData(box, { "": '{"ok":1}' }), { data: { ok: 1 } });
    assert.deepEqual(signalData(box, {}), { data: null });
    assert.deepEqual(signalData(box, { "": "{ok" }), { problem: "The data is not valid JSON." });
  });

  test("the data: typed values, the decision, empty optional fields left out", () => {
    const form = signalForm(schema);
    const values = { reason: "fine", budget: "12", tags: '["a"]', risk: "" };
    assert.deepEqual(signalData(form, values, false), {
      data: { approved: false, reason: "fine", budget: 12, tags: ["a"] },
    });
    assert.deepEqual(signalData(form, {}, true), { data: { approved: true, reason: "" } });
    assert.deepEqual(signalData(form, { budget: "lots" }, true), { problem: "budget must be a number." });
    assert.deepEqual(signalData(form, { tags: "[" }, true), { problem: "tags is not valid JSON." });
  });
});
