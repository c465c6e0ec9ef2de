import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import YAML from "yaml";
import { z } from "zod";
import { MAP_KEYS, STEP_KEYS, WORKFLOW_KEYS } from "../src/yaml/load-yaml.js";
import { cli, ROOT } from "./helpers/cli.js";

// The published JSON Schema of the definition format (docs/workflow.schema.json, `cairn workflows
// schema`): the same as the CLI prints, with exactly the keys the loader accepts, and every example
// workflow fits it.
const FILE = path.join(ROOT, "docs/workflow.schema.json");
const published = JSON.parse(fs.readFileSync(FILE, "utf8")) as {
  properties: Record<string, unknown>;
  $defs?: Record<string, unknown>;
};

test("`cairn workflows schema` prints docs/workflow.schema.json", async () => {
  const out = await cli(["workflows", "schema"], { cwd: os.tmpdir() });
  assert.equal(out.code, 0, out.stderr);
  assert.deepEqual(
    JSON.parse(out.stdout),
    published,
    "out of date: npm run build && node bin/cairn.js workflows schema > docs/workflow.schema.json",
  );
});

test("its keys are the loader's: workflow, step and map", () => {
  const sorted = (keys: Iterable<string>) => [...keys].sort();
  assert.deepEqual(sorted(Object.keys(published.properties)), sorted(WORKFLOW_KEYS));
  const steps = published.properties.steps as { items: { properties: Record<string, unknown> } };
  assert.deepEqual(sorted(Object.keys(steps.items.properties)), sorted(STEP_KEYS));
  const map = steps.items.properties.map as { properties: Record<string, unknown> };
  assert.deepEqual(sorted(Object.keys(map.properties)), sorted(MAP_KEYS));
});

test("every example workflow fits it; a misspelt key or a step without an id does not", () => {
  const schema = z.fromJSONSchema(published as Parameters<typeof z.fromJSONSchema>[0]);
  const examples = fs.readdirSync(path.join(ROOT, "examples")).filter((f) => /\.ya?ml$/.test(f));
  assert.ok(examples.length >= 5);
  for (const file of examples) {
    const data = YAML.parse(fs.readFileSync(path.join(ROOT, "examples", file), "utf8"));
    const result = schema.safeParse(data);
    assert.ok(result.success, `${file}: ${result.error?.message}`);
  }
  assert.equal(schema.safeParse({ id: "w", stpes: [] }).success, false);
  assert.equal(schema.safeParse({ id: "w", steps: [{ run: "echo" }] }).success, false);
  assert.equal(schema.safeParse({ id: "w", steps: [{ id: "a", run: "echo", retry: 3 }] }).success, false);
});
