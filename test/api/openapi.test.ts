import assert from "node:assert/strict";
import fs from "node:fs";
import { test } from "node:test";
import { API_DOCS_FILE, renderApiDocs } from "../../scripts/api-docs.js";
import { createApp } from "../../src/server/app.js";
import { startServer } from "./helpers.js";
import { quick } from "./workflows.js";

const s = await startServer({ workflows: [quick] });

/** Every route the API promises (issue 5), as OpenAPI paths. */
const EXPECTED = [
  "GET /api/workflows",
  "GET /api/workflows/{id}",
  "POST /api/workflows/{id}/runs",
  "GET /api/workflows/{id}/latest-failed",
  "GET /api/workflows/{id}/history",
  "PUT /api/workflows/{id}",
  "GET /api/workflows/{id}/versions",
  "GET /api/runs",
  "GET /api/runs/{id}",
  "GET /api/runs/{id}/steps/{stepId}",
  "GET /api/runs/{id}/steps/{stepId}/items",
  "GET /api/runs/{id}/steps/{stepId}/items/{key}",
  "POST /api/runs/{id}/resume",
  "GET /api/runs/{id}/resume-plan",
  "POST /api/runs/{id}/restart",
  "POST /api/runs/{id}/rerun",
  "GET /api/runs/{id}/rerun-plan",
  "POST /api/runs/{id}/cancel",
  "POST /api/runs/{id}/pause",
  "POST /api/runs/{id}/signals/{name}",
  "GET /api/schedules",
  "POST /api/schedules/{workflow}/{name}/pause",
  "POST /api/schedules/{workflow}/{name}/resume",
  "GET /api/runs/{id}/history",
  "GET /api/runs/{id}/files",
  "DELETE /api/runs/{id}",
  "POST /api/runs/bulk/{action}",
  "GET /api/runs/{id}/files/{path}",
  "GET /api/runs/{id}/events",
  "GET /api/events",
  "GET /api/openapi.json",
  "GET /api/me",
  "GET /healthz",
  "GET /readyz",
  "GET /metrics",
].sort();

type Node = Record<string, unknown>;

async function fetchDocument(): Promise<Node> {
  const res = await s.api("/api/openapi.json");
  assert.equal(res.status, 200);
  return res.body as Node;
}

function operations(doc: Node): Array<{ key: string; op: Node; path: string }> {
  const out: Array<{ key: string; op: Node; path: string }> = [];
  for (const [path, item] of Object.entries(doc.paths as Record<string, Node>))
    for (const [method, op] of Object.entries(item))
      out.push({ key: `${method.toUpperCase()} ${path}`, op: op as Node, path });
  return out;
}

/** Every `$ref` anywhere in the document. */
function refs(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) refs(v, found);
  else if (value && typeof value === "object")
    for (const [k, v] of Object.entries(value)) {
      if (k === "$ref" && typeof v === "string") found.push(v);
      else refs(v, found);
    }
  return found;
}

test("GET /api/openapi.json is a structurally valid OpenAPI 3 document covering every route", async () => {
  const doc = await fetchDocument();
  assert.match(String(doc.openapi), /^3\.\d+\.\d+$/);
  const info = doc.info as Node;
  assert.equal(typeof info.title, "string");
  assert.match(String(info.version), /^\d+\.\d+\.\d+/);

  const ops = operations(doc);
  assert.deepEqual(
    ops.map((o) => o.key).sort(),
    EXPECTED,
    "exactly the promised routes, each with its method",
  );

  const components = doc.components as Record<string, Node>;
  for (const ref of refs(doc)) {
    const match = /^#\/components\/(\w+)\/(.+)$/.exec(ref);
    assert.ok(match, `a local component reference: ${ref}`);
    assert.ok(components[match[1]!]?.[match[2]!], `${ref} exists`);
  }
  const schemes = components.securitySchemes as Record<string, Node>;
  assert.deepEqual(
    { type: schemes.bearerAuth?.type, scheme: schemes.bearerAuth?.scheme },
    { type: "http", scheme: "bearer" },
  );

  for (const { key, op, path } of ops) {
    const responses = op.responses as Record<string, Node>;
    assert.ok(Object.keys(responses).length > 0, `${key} has responses`);
    for (const [status, response] of Object.entries(responses)) {
      assert.match(status, /^[1-5]\d\d$/, key);
      assert.equal(typeof response.description, "string", `${key} ${status} has a description`);
    }
    assert.ok(
      Object.keys(responses).some((st) => st.startsWith("2")),
      `${key} documents its success`,
    );
    const params = (op.parameters ?? []) as Node[];
    for (const name of path.match(/\{(\w+)\}/g) ?? []) {
      const declared = params.find((p) => p.in === "path" && `{${String(p.name)}}` === name);
      assert.ok(declared && declared.required === true && declared.schema, `${key} declares ${name}`);
    }
    for (const p of params)
      assert.ok(
        ["path", "query", "header"].includes(String(p.in)) && p.schema,
        `${key} parameter ${String(p.name)}`,
      );
    const secured = JSON.stringify(op.security);
    assert.match(String(op.operationId), /^[a-z][A-Za-z]+$/, `${key} has an operationId`);
    if (path.startsWith("/api/") && key !== "GET /api/openapi.json") {
      assert.equal(secured, JSON.stringify([{ bearerAuth: [] }]), `${key} needs a token`);
      assert.ok(responses["401"], `${key} documents 401`);
    } else assert.equal(secured, "[]", `${key} is open`);
    if (key.startsWith("POST")) {
      const body = op.requestBody as Node | undefined;
      assert.ok(body && (body.content as Node)["application/json"], `${key} documents its JSON body`);
      for (const st of ["400", "403", "404", "413", "422"])
        assert.ok(responses[st], `${key} documents ${st}`);
    }
  }
  // The SSE routes are in the document too, as streams.
  const sse = ops.find((o) => o.key === "GET /api/runs/{id}/events")!;
  assert.ok(((sse.op.responses as Record<string, Node>)["200"]!.content as Node)["text/event-stream"]);
  assert.ok(
    ((sse.op.parameters ?? []) as Node[]).some((p) => p.in === "header" && p.name === "last-event-id"),
  );
});

test("every route the app serves is in the document (none added around the schemas)", async () => {
  const doc = await fetchDocument();
  const documented = new Set(operations(doc).map((o) => o.key.replace(/\{(\w+)\}/g, ":$1")));
  const app = createApp({ cairn: s.cairn });
  const served = new Set(
    app.routes
      .filter((r) => r.method !== "ALL" && !r.path.endsWith("*"))
      // A parameter's pattern (`:path{.+}`, a file path with slashes) is not part of its name.
      .map((r) => `${r.method} ${r.path.replace(/(:\w+)\{[^}]*\}/g, "$1")}`),
  );
  assert.deepEqual([...served].sort(), [...documented].sort());
});

test("docs/api.md is generated from the current document (run `node --import tsx scripts/api-docs.ts`)", async () => {
  const doc = await fetchDocument();
  const onDisk = fs.readFileSync(API_DOCS_FILE, "utf8");
  assert.ok(
    onDisk === renderApiDocs(doc),
    "docs/api.md is out of date: run `node --import tsx scripts/api-docs.ts`",
  );
  for (const example of ["/resume", "/restart", "/rerun"])
    assert.match(onDisk, new RegExp(`curl [^\\n]*-X POST [^\\n]*${example}`));
});
