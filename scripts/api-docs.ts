/**
 * Generates docs/api.md, the API reference, from the OpenAPI document the server serves at
 * `GET /api/openapi.json`. A test fails when the file is out of date with the document.
 *
 *   node --import tsx scripts/api-docs.ts           # write docs/api.md
 *   node --import tsx scripts/api-docs.ts --check   # exit 1 when docs/api.md is out of date
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Cairn } from "../src/cairn.js";
import { createApp } from "../src/server/app.js";
import { openApiDocument } from "../src/server/openapi.js";

export const API_DOCS_FILE = fileURLToPath(new URL("../docs/api.md", import.meta.url));

type Node = Record<string, unknown>;

/** The document as the server generates it (a throwaway store: no routes depend on data). */
export async function currentDocument(): Promise<Node> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-api-docs-"));
  const cairn = await Cairn.open({ db: path.join(dir, "cairn.db"), execute: false, recover: false });
  try {
    return JSON.parse(JSON.stringify(openApiDocument(createApp({ cairn, auth: "none" })))) as Node;
  } finally {
    await cairn.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const METHODS = ["get", "post", "put", "patch", "delete"];

const ERRORS = `## Errors

Every error response has the same shape, and never carries a stack trace:

\`\`\`json
{ "error": { "code": "CONFLICT", "message": "Run \\"run_…\\" is still running. Wait for it to finish, or cancel or pause it first.", "details": { "status": "running" } } }
\`\`\`

| status | code | when |
|---|---|---|
| 400 | \`BAD_REQUEST\` | malformed JSON, wrong types, unknown fields or query parameters (\`details.issues\` names each field) |
| 401 | \`UNAUTHORIZED\` | no \`Authorization: Bearer\` header, or an unknown or revoked token (a token in the query string is never read); the response carries \`WWW-Authenticate: Bearer realm="cairn"\` |
| 403 | \`FORBIDDEN\` | a read-only token asked for an action (any POST) |
| 404 | \`NOT_FOUND\` | an unknown id — or another tenant's, with exactly the same body |
| 405 | \`METHOD_NOT_ALLOWED\` | a known path asked with a method it does not answer; \`Allow\` (and \`details.allow\`) lists those it does |
| 409 | \`CONFLICT\` | the run's state forbids the action (resume of a succeeded or live run, a lost race); \`details.status\` is its current status |
| 413 | \`PAYLOAD_TOO_LARGE\` | the body is over the server's limit (\`--body-limit\`, default 1 MiB), checked before parsing |
| 415 | \`UNSUPPORTED_MEDIA_TYPE\` | a body that is not \`application/json\` |
| 422 | \`INVALID_INPUT\`, \`UNPROCESSABLE\` | unknown step ids (\`details.unknown\`), input failing the workflow's schema (\`details.issues\`), missing secrets (\`details.missing\`), a rerun that cannot reuse what it needs |
| 500 | \`INTERNAL\` | anything unexpected; the details stay in the server's log |
| 503 | \`STORE\` | the store cannot be reached |
`;

const CURL_EXAMPLES = `## Examples

\`\`\`sh
export CAIRN_URL=http://127.0.0.1:7420
export CAIRN_TOKEN=$(cairn token create --tenant acme --name ops)   # printed once; only its hash is stored
auth="Authorization: Bearer $CAIRN_TOKEN"
\`\`\`

Start a run (an existing \`runId\` returns that run with 200 instead of starting another):

\`\`\`sh
curl -sS -X POST "$CAIRN_URL/api/workflows/report/runs" -H "$auth" -H 'Content-Type: application/json' \\
  -d '{"input": {"topic": "tides"}, "runId": "report-2026-11-22", "secrets": {"API_KEY": "'"$API_KEY"'"}}'
\`\`\`

See what a resume would do, then **resume** a failed run in place (the body may be omitted; secrets the
run declared must be sent again, they are never stored):

\`\`\`sh
curl -sS "$CAIRN_URL/api/runs/$RUN/resume-plan?retryFailed=true" -H "$auth"
curl -sS -X POST "$CAIRN_URL/api/runs/$RUN/resume" -H "$auth" -H 'Content-Type: application/json' \\
  -d '{"retryFailed": true, "maxAttempts": 5, "secrets": {"API_KEY": "'"$API_KEY"'"}}'
\`\`\`

**Restart**: a new run of the same workflow and input, from scratch (201 with the new run):

\`\`\`sh
curl -sS -X POST "$CAIRN_URL/api/runs/$RUN/restart" -H "$auth"
\`\`\`

**Rerun** the failed steps of the latest failed run, reusing everything that succeeded (or
\`{"from": ["parse", "load"]}\` to choose the steps):

\`\`\`sh
RUN=$(curl -sS "$CAIRN_URL/api/workflows/report/latest-failed" -H "$auth" | node -p 'JSON.parse(require("fs").readFileSync(0)).run.id')
curl -sS -X POST "$CAIRN_URL/api/runs/$RUN/rerun" -H "$auth" -H 'Content-Type: application/json' -d '{"failed": true}'
\`\`\`

Follow a run live (Server-Sent Events; after a disconnect, send the last \`id:\` received as
\`Last-Event-ID\` and nothing is missed or repeated):

\`\`\`sh
curl -sSN "$CAIRN_URL/api/runs/$RUN/events" -H "$auth"
curl -sSN "$CAIRN_URL/api/runs/$RUN/events" -H "$auth" -H 'Last-Event-ID: 1042'
\`\`\`
`;

/** Markdown for the whole document: endpoints in declaration order, then every component schema. */
export function renderApiDocs(doc: Node): string {
  const info = doc.info as Node;
  const paths = doc.paths as Record<string, Node>;
  const operations: Array<{ method: string; path: string; op: Node }> = [];
  for (const [p, item] of Object.entries(paths))
    for (const method of METHODS)
      if (item[method]) operations.push({ method, path: p, op: item[method] as Node });
  const schemas = ((doc.components as Node | undefined)?.schemas ?? {}) as Record<string, Node>;

  const out: string[] = [
    `# ${String(info.title)}`,
    "",
    "<!-- Generated from the OpenAPI document (GET /api/openapi.json) by scripts/api-docs.ts. Do not edit by hand: run `node --import tsx scripts/api-docs.ts`. -->",
    "",
    `Version ${String(info.version)} · OpenAPI ${String(doc.openapi)} · the machine-readable document is served at \`GET /api/openapi.json\`.`,
    "",
    String(info.description ?? ""),
    "",
    "## Endpoints",
    "",
    "| method | path | operationId | summary |",
    "|---|---|---|---|",
    ...operations.map(
      ({ method, path: p, op }) =>
        `| ${method.toUpperCase()} | [\`${p}\`](#${slug(`${method} ${p}`)}) | \`${String(op.operationId)}\` | ${cell(String(op.summary ?? ""))} |`,
    ),
    "",
    CURL_EXAMPLES,
    ERRORS,
    "## Reference",
    "",
  ];
  for (const { method, path: p, op } of operations) out.push(...renderOperation(method, p, op));
  out.push("## Schemas", "");
  for (const [name, schema] of Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b)))
    out.push(...renderSchema(name, schema));
  return `${out
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trimEnd()}\n`;
}

function renderOperation(method: string, p: string, op: Node): string[] {
  const lines = [
    `### ${method.toUpperCase()} ${p}`,
    "",
    `${String(op.summary ?? "")} (operationId \`${String(op.operationId)}\`)`,
    "",
  ];
  if (op.description) lines.push(String(op.description), "");
  const security = op.security as unknown[] | undefined;
  lines.push(`**Auth:** ${security && security.length > 0 ? "`Authorization: Bearer <token>`" : "none"}`, "");
  const params = (op.parameters ?? []) as Node[];
  if (params.length > 0) {
    lines.push(
      "**Parameters**",
      "",
      "| name | in | type | required | description |",
      "|---|---|---|---|---|",
    );
    for (const param of params)
      lines.push(
        `| \`${String(param.name)}\` | ${String(param.in)} | ${typeOf(param.schema as Node)} | ${param.required ? "yes" : "no"} | ${cell(String(param.description ?? ""))} |`,
      );
    lines.push("");
  }
  const body = op.requestBody as Node | undefined;
  if (body) {
    const content = body.content as Record<string, Node>;
    for (const [media, entry] of Object.entries(content))
      lines.push(
        `**Request body** (\`${media}\`, ${body.required ? "required" : "optional"}): ${typeOf(entry.schema as Node)}`,
        "",
      );
  }
  lines.push("**Responses**", "", "| status | body | description |", "|---|---|---|");
  for (const [status, response] of Object.entries(op.responses as Record<string, Node>)) {
    const content = (response.content ?? {}) as Record<string, Node>;
    const bodies = Object.entries(content).map(
      ([media, entry]) => `${typeOf(entry.schema as Node)} (\`${media}\`)`,
    );
    lines.push(`| ${status} | ${bodies.join(", ") || "-"} | ${cell(String(response.description ?? ""))} |`);
  }
  lines.push("");
  return lines;
}

function renderSchema(name: string, schema: Node): string[] {
  const lines = [`### ${name}`, ""];
  if (schema.description) lines.push(String(schema.description), "");
  const parts = (schema.allOf ?? [schema]) as Node[];
  const bases = parts.filter((part) => typeof part.$ref === "string");
  if (bases.length > 0) lines.push(`Every field of ${bases.map(typeOf).join(" and ")}, and:`, "");
  const fields = parts.filter((part) => part.$ref === undefined).flatMap((part) => fieldRows(part, ""));
  if (fields.length > 0)
    lines.push("| field | type | required | description |", "|---|---|---|---|", ...fields);
  else lines.push(`${typeOf(schema)}`);
  lines.push("");
  return lines;
}

/** One row per property, nested inline objects (and arrays of them) flattened with dotted names. */
function fieldRows(schema: Node, prefix: string): string[] {
  if (schema.anyOf || schema.oneOf) {
    const variants = (schema.anyOf ?? schema.oneOf) as Node[];
    return variants.flatMap((v, i) => fieldRows(v, `${prefix}(variant ${i + 1}) `));
  }
  const properties = schema.properties as Record<string, Node> | undefined;
  if (!properties) return [];
  const required = new Set((schema.required ?? []) as string[]);
  const rows: string[] = [];
  for (const [key, prop] of Object.entries(properties)) {
    const name = `${prefix}${key}`;
    rows.push(
      `| \`${name}\` | ${typeOf(prop)} | ${required.has(key) ? "yes" : "no"} | ${cell(String(prop.description ?? ""))} |`,
    );
    const items = prop.items as Node | undefined;
    if (isInlineObject(prop)) rows.push(...fieldRows(prop, `${name}.`));
    else if (items && isInlineObject(items)) rows.push(...fieldRows(items, `${name}[].`));
  }
  return rows;
}

function isInlineObject(schema: Node): boolean {
  return !schema.$ref && schema.properties !== undefined;
}

/** A schema as a short type expression, with links to component schemas. */
function typeOf(schema: Node | undefined): string {
  if (!schema || Object.keys(schema).filter((k) => k !== "description" && k !== "example").length === 0)
    return "any JSON";
  if (typeof schema.$ref === "string") {
    const name = schema.$ref.split("/").at(-1)!;
    return `[\`${name}\`](#${slug(name)})`;
  }
  const variants = (schema.anyOf ?? schema.oneOf) as Node[] | undefined;
  if (variants) return variants.map(typeOf).join(" \\| ");
  if (Array.isArray(schema.allOf)) return (schema.allOf as Node[]).map(typeOf).join(" and ");
  if (schema.const !== undefined) return `\`${JSON.stringify(schema.const)}\``;
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => `\`${JSON.stringify(v)}\``).join(" \\| ");
  const types = Array.isArray(schema.type) ? (schema.type as string[]) : [String(schema.type ?? "object")];
  return types
    .map((type) => {
      if (type === "array") return `array of ${typeOf(schema.items as Node)}`;
      if (type === "object" && schema.additionalProperties && typeof schema.additionalProperties === "object")
        return `map of ${typeOf(schema.additionalProperties as Node)}`;
      if (type === "string" && typeof schema.pattern === "string")
        return `string (\`${schema.pattern.replaceAll("|", "\\|")}\`)`;
      if (type === "integer" && (schema.minimum !== undefined || schema.maximum !== undefined))
        return `integer (${schema.minimum ?? "…"}–${schema.maximum ?? "…"})`;
      return type;
    })
    .join(" \\| ");
}

function cell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes. */
function slug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, "")
    .replaceAll(" ", "-");
}

async function main(): Promise<void> {
  const rendered = renderApiDocs(await currentDocument());
  if (process.argv.includes("--check")) {
    const current = fs.existsSync(API_DOCS_FILE) ? fs.readFileSync(API_DOCS_FILE, "utf8") : "";
    if (current !== rendered) {
      process.stderr.write("docs/api.md is out of date: run `node --import tsx scripts/api-docs.ts`.\n");
      process.exitCode = 1;
    }
    return;
  }
  fs.mkdirSync(path.dirname(API_DOCS_FILE), { recursive: true });
  fs.writeFileSync(API_DOCS_FILE, rendered);
  process.stdout.write(`Wrote ${path.relative(process.cwd(), API_DOCS_FILE)}.\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) await main();
