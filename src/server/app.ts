import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { CairnError } from "../core/errors.js";
import { accessLog } from "./access-log.js";
import { type AppEnv, authenticate, forbidReadOnlyActions } from "./auth.js";
import { errorResponse, HttpError } from "./errors.js";
import { emptyJsonBodyIsNoBody, httpConventions } from "./http-conventions.js";
import { registerSecurityScheme } from "./openapi.js";
import { type AppOptions, resolveAppOptions } from "./options.js";
import { NoQuery } from "./requests.js";
import { registerActionRoutes } from "./routes/actions.js";
import { registerBulkRoutes } from "./routes/bulk.js";
import type { App, RouteContext } from "./routes/common.js";
import { registerDeleteRunRoute } from "./routes/delete-run.js";
import { registerEventRoutes } from "./routes/events.js";
import { registerFileRoutes } from "./routes/files.js";
import { registerItemRoutes } from "./routes/items.js";
import { registerMeRoute } from "./routes/me.js";
import { registerReadinessRoute } from "./routes/readiness.js";
import { registerRunRoutes } from "./routes/runs.js";
import { registerScheduleRoutes } from "./routes/schedules.js";
import { registerSignalRoutes } from "./routes/signals.js";
import { registerStartRoute } from "./routes/start.js";
import { registerSystemRoutes } from "./routes/system.js";
import { registerWorkflowVersionRoutes } from "./routes/workflow-versions.js";
import { registerWorkflowRoutes } from "./routes/workflows.js";
import { serveWebUi } from "./static.js";
import { validationError } from "./validation.js";

/**
 * The HTTP API over a `Cairn` client: a Hono app to serve with `listen()` (or to call with
 * `app.request()`). Every route is declared with its zod schemas, which both validate requests and
 * generate `GET /api/openapi.json`.
 *
 * @example
 * const cairn = await Cairn.open({ db: ".cairn/cairn.db", trigger: "api" });
 * const app = createApp({ cairn, auth: "tokens" });
 * const server = await listen(app, { host: "127.0.0.1", port: 7420 });
 */
export function createApp(options: AppOptions): App {
  const resolved = resolveAppOptions(options);
  const context: RouteContext = { cairn: options.cairn, options: resolved };
  const app: App = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.target, result.error);
    },
  });

  // Order matters: the access log around everything, known path and method, who is asking, whether
  // they may act, then the body size before anything reads it.
  app.use("*", accessLog(options.cairn.logger));
  app.use("*", httpConventions(app));
  app.use("/api/*", authenticate(options.cairn, resolved.auth));
  app.use("/api/*", forbidReadOnlyActions());
  app.use(
    "/api/*",
    bodyLimit({
      maxSize: resolved.bodyLimitBytes,
      onError: () => {
        throw new HttpError(
          "PAYLOAD_TOO_LARGE",
          `The request body is over the limit of ${resolved.bodyLimitBytes} bytes.`,
          {
            limitBytes: resolved.bodyLimitBytes,
          },
        );
      },
    }),
  );
  app.use("/api/*", emptyJsonBodyIsNoBody());

  refuseUndeclaredQueries(app);
  registerSecurityScheme(app);
  registerWorkflowRoutes(app, context);
  registerWorkflowVersionRoutes(app, context);
  registerStartRoute(app, context);
  registerRunRoutes(app, context);
  registerItemRoutes(app, context);
  registerFileRoutes(app, context);
  registerDeleteRunRoute(app, context);
  // Before the per-run actions: POST /api/runs/bulk/resume must not read as run "bulk".
  registerBulkRoutes(app, context);
  registerActionRoutes(app, context);
  registerSignalRoutes(app, context);
  registerScheduleRoutes(app, context);
  registerEventRoutes(app, context);
  registerSystemRoutes(app, context);
  registerMeRoute(app);
  registerReadinessRoute(app, context);
  if (resolved.staticDir) app.get("*", serveWebUi(resolved.staticDir));

  app.notFound((c) => {
    const { status, body } = errorResponse(
      new CairnError("NOT_FOUND", `No route ${c.req.method} ${c.req.path}.`),
    );
    return c.json(body, status);
  });
  app.onError((error, c) => {
    const { status, body } = errorResponse(error, resolved.onInternalError);
    return c.json(body, status);
  });
  return app;
}

/**
 * Every route validates its query string: a route that declares no parameters gets an empty strict
 * schema, so `?limt=5` or `?tokn=…` is a 400 naming the parameter instead of being silently ignored.
 */
function refuseUndeclaredQueries(app: App): void {
  const register = app.openapi.bind(app);
  app.openapi = ((route, handler, hook) =>
    register({ ...route, request: { query: NoQuery, ...route.request } }, handler, hook)) as App["openapi"];
}
