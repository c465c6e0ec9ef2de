import { createRoute, z } from "@hono/zod-openapi";
import type { DefinitionFormat } from "../../loader/stored-workflow.js";
import { HttpError } from "../errors.js";
import { WorkflowIdParams } from "../requests.js";
import { type App, BEARER, errors, json, type RouteContext } from "./common.js";

const StoredVersionSchema = z
  .object({
    id: z.string(),
    version: z
      .string()
      .openapi({ description: "A hash of the canonical definition.", example: "3f9a1c0d2b7e4f61" }),
  })
  .openapi("StoredWorkflowVersion");

const VersionListSchema = z
  .object({
    versions: z.array(
      z.object({
        version: z.string(),
        createdAt: z.number().int().openapi({ description: "ms since the epoch." }),
      }),
    ),
  })
  .openapi("WorkflowVersionList");

const YAML_TYPES = ["application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"];

const putWorkflow = createRoute({
  method: "put",
  path: "/api/workflows/{id}",
  operationId: "putWorkflow",
  tags: ["workflows"],
  summary: "Store a workflow definition sent as YAML or JSON; returns its version",
  description:
    "The body is a workflow definition in the YAML format of docs/definitions.md, as YAML (`Content-Type: application/yaml`) or JSON (`application/json`); its `id` must be the path's. It is validated — every problem at once in `details.problems`, each with the line and column in the body (`body.yaml:7:13: step \"fetch\": with.url: Invalid URL`) — and stored for the caller's tenant. The version is a hash of the canonical definition: an unchanged definition answers 200 with the same version, a new one 201. A definition sent over the API is data: its steps may call registered actions, sleep and wait for signals, but `run:` shell steps and `uses:` of a file are refused (422, naming the step) unless the server was started with `--allow-api-shell`.",
  security: BEARER,
  request: {
    params: WorkflowIdParams,
    body: {
      required: true,
      content: {
        "application/yaml": { schema: z.string().openapi({ description: "The definition as YAML." }) },
        "application/json": {
          schema: z.record(z.string(), z.unknown()).openapi({ description: "The definition as JSON." }),
        },
      },
    },
  },
  responses: {
    200: json(StoredVersionSchema, "The definition was already stored: its version."),
    201: json(StoredVersionSchema, "A new version was stored."),
    ...errors(400, 401, 403, 413, 415, 422),
  },
});

const listVersions = createRoute({
  method: "get",
  path: "/api/workflows/{id}/versions",
  operationId: "listWorkflowVersions",
  tags: ["workflows"],
  summary: "The stored versions of a workflow, newest first",
  description: "Of the caller's tenant; 404 when it has stored none (another tenant's are invisible).",
  security: BEARER,
  request: { params: WorkflowIdParams },
  responses: { 200: json(VersionListSchema, "Every stored version."), ...errors(400, 401, 404) },
});

/** The format a request body is written in, from its content type; 415 for anything else. */
function formatOf(contentType: string | undefined): DefinitionFormat {
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "application/json") return "json";
  if (YAML_TYPES.includes(type)) return "yaml";
  throw new HttpError(
    "UNSUPPORTED_MEDIA_TYPE",
    `Send the definition as application/yaml or application/json, not ${type || "no content type"}.`,
  );
}

export function registerWorkflowVersionRoutes(app: App, { cairn, options }: RouteContext): void {
  app.openapi(putWorkflow, async (c) => {
    const { id } = c.req.valid("param");
    const format = formatOf(c.req.header("content-type"));
    const stored = await cairn.storeWorkflow(id, await c.req.text(), {
      format,
      tenant: c.get("principal").tenant,
      allowCode: options.allowApiShell,
    });
    const status = stored.created ? 201 : 200;
    if (stored.created) c.header("Location", `/api/workflows/${encodeURIComponent(id)}/versions`);
    return c.json({ id: stored.id, version: stored.version }, status);
  });

  app.openapi(listVersions, async (c) => {
    const { id } = c.req.valid("param");
    return c.json({ versions: await cairn.workflowVersions(id, c.get("principal").tenant) }, 200);
  });
}
