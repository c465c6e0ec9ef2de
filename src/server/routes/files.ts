import fs from "node:fs";
import { Readable } from "node:stream";
import { createRoute, z } from "@hono/zod-openapi";
import { CairnError } from "../../core/errors.js";
import { contentTypeOf, listRunFiles, resolveRunFile } from "../../engine/run-files.js";
import { HttpError } from "../errors.js";
import { RunFileListSchema } from "../file-schemas.js";
import { NoQuery, RunIdParams } from "../requests.js";
import { validationError } from "../validation.js";
import { type App, BEARER, errors, json, ownRun, type RouteContext } from "./common.js";

const listFiles = createRoute({
  method: "get",
  path: "/api/runs/{id}/files",
  operationId: "listRunFiles",
  tags: ["runs"],
  summary: "The files in a run's working directory, with declared outputs' digests",
  description:
    "Read from the server's own file system: with workers on several machines, only runs whose directories are on storage the server shares (see docs/operations.md).",
  security: BEARER,
  request: { params: RunIdParams },
  responses: { 200: json(RunFileListSchema, "The run's files."), ...errors(400, 401, 404) },
});

/** Documented here; served by a wildcard route below (a file path has slashes). */
const getFile = createRoute({
  method: "get",
  path: "/api/runs/{id}/files/{path}",
  operationId: "getRunFile",
  tags: ["runs"],
  summary: "One file of a run's working directory, streamed",
  description:
    "`path` is relative to the run directory and may contain `/`. Refused with 400: absolute paths, `.` or `..` segments (also percent-encoded), backslashes, paths still percent-encoded after decoding, and symlinks that lead out of the run directory. The content type follows the extension; responses carry `X-Content-Type-Options: nosniff` and a sandboxing Content-Security-Policy.",
  security: BEARER,
  request: {
    params: RunIdParams.extend({
      path: z.string().openapi({ param: { name: "path", in: "path" }, example: "out/report.csv" }),
    }),
  },
  responses: {
    200: {
      description: "The file's bytes.",
      content: { "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) } },
    },
    ...errors(400, 401, 404),
  },
});

export function registerFileRoutes(app: App, { cairn }: RouteContext): void {
  app.openapi(listFiles, async (c) => {
    const { id } = c.req.valid("param");
    const run = await ownRun(cairn, c.get("principal"), id);
    const listing = await listRunFiles(run, await cairn.steps(id));
    return c.json(listing, 200);
  });

  app.openAPIRegistry.registerPath(getFile);
  app.get("/api/runs/:id/files/:path{.+}", async (c) => {
    const id = c.req.param("id");
    const rel = c.req.param("path");
    const parsed = RunIdParams.safeParse({ id });
    if (!parsed.success) throw new HttpError("BAD_REQUEST", "The run id must be 1 to 128 characters.");
    // Not declared through app.openapi (the path has slashes), so unknown query parameters are refused here.
    const query = NoQuery.safeParse(c.req.query());
    if (!query.success) throw validationError("query", query.error);
    const run = await ownRun(cairn, c.get("principal"), id);
    if (stillEncoded(rel))
      throw new HttpError("BAD_REQUEST", `File path "${rel}" is refused: it is percent-encoded twice.`);
    let file: { absolute: string; size: number };
    try {
      file = resolveRunFile(run, rel);
    } catch (error) {
      // A path that tries to leave the run directory is a malformed request, not a missing file.
      if (error instanceof CairnError && error.code === "INVALID_INPUT")
        throw new HttpError("BAD_REQUEST", error.message, error.details);
      throw error;
    }
    const stream = Readable.toWeb(fs.createReadStream(file.absolute)) as ReadableStream;
    return c.body(stream, 200, {
      "Content-Type": contentTypeOf(rel),
      "Content-Length": String(file.size),
      "X-Content-Type-Options": "nosniff",
      // An HTML or SVG artefact must not run scripts with the API's origin (and its token in the UI).
      "Content-Security-Policy": "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
    });
  });
}

/** `%2e%2e` left after one decoding: a second decoding somewhere would turn it into `..`. */
function stillEncoded(rel: string): boolean {
  return /%[0-9a-fA-F]{2}/.test(rel);
}
