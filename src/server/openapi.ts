import fs from "node:fs";
import type { App } from "./routes/common.js";

const PACKAGE = JSON.parse(fs.readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

const DESCRIPTION = [
  "Drive Cairn runs over HTTP: start runs, resume, restart, rerun from failed steps, cancel, pause, and watch progress live.",
  "",
  "Every `/api` request needs `Authorization: Bearer <token>` (create one with `cairn token create --tenant T`). A token sees and acts on its own tenant's runs only; another tenant's run answers 404 exactly like an id that does not exist. Read-only tokens get 403 on every action.",
  "",
  'Every error has one shape: `{ "error": { "code", "message", "details" } }`.',
  "",
  "For generic clients: every operation has an `operationId`; this document is served without a token; a `201` carries `Location` (the new run's URL); a `401` carries `WWW-Authenticate`; a wrong method on a known path is a `405` with `Allow`; a POST whose body is optional may send nothing or an empty body with `Content-Type: application/json`; SSE messages carry `event:` (the event's type).",
].join("\n");

/** Declare the bearer scheme once, on the app whose routes reference it. */
export function registerSecurityScheme(app: App): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description:
      "A token from `cairn token create`: `cairn_` followed by 43 characters. Never in a query string.",
  });
}

/** The OpenAPI 3.1 document, generated from the same zod schemas that validate requests. */
export function openApiDocument(app: App) {
  return app.getOpenAPI31Document({
    openapi: "3.1.0",
    info: { title: "Cairn HTTP API", version: PACKAGE.version, description: DESCRIPTION },
    tags: [
      { name: "workflows", description: "Registered workflows and their graphs." },
      { name: "runs", description: "Runs, their steps, logs and history." },
      { name: "actions", description: "Start, resume, restart, rerun, cancel, pause." },
      { name: "events", description: "Live run and step transitions (Server-Sent Events)." },
      { name: "system", description: "Health, metrics and this document." },
    ],
  });
}
