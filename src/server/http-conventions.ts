import type { MiddlewareHandler } from "hono";
import { errorResponse, HttpError } from "./errors.js";
import type { App } from "./routes/common.js";

/**
 * What generic HTTP clients (generated ones, other languages) expect of an API, applied to every
 * route in one place: 405 with `Allow` for a wrong method on a known path, `WWW-Authenticate` on
 * 401, `Location` on 201, and an empty body sent with a JSON content type read as no body.
 */
export function httpConventions(app: App): MiddlewareHandler {
  let routes: Array<{ pattern: RegExp; methods: Set<string> }> | undefined;
  return async (c, next) => {
    routes ??= knownRoutes(app);
    const method = c.req.method === "HEAD" ? "GET" : c.req.method;
    const known = routes.find((r) => r.pattern.test(c.req.path));
    if (known && !known.methods.has(method) && method !== "OPTIONS") {
      const allow = [...known.methods].sort().join(", ");
      const { status, body } = errorResponse(
        new HttpError(
          "METHOD_NOT_ALLOWED",
          `${c.req.method} is not allowed on ${c.req.path}; use ${allow}.`,
          {
            allow: [...known.methods].sort(),
          },
        ),
      );
      return c.json(body, status, { Allow: allow });
    }
    await next();
    if (c.res.status === 401 && !c.res.headers.has("WWW-Authenticate"))
      c.res.headers.set("WWW-Authenticate", 'Bearer realm="cairn"');
    if (c.res.status === 201 && !c.res.headers.has("Location")) {
      const id = await createdRunId(c.res);
      if (id !== undefined) c.res.headers.set("Location", `/api/runs/${encodeURIComponent(id)}`);
    }
  };
}

/**
 * `Content-Type: application/json` with an empty body (what many HTTP clients send for a bodiless
 * POST) is read as no body at all: accepted where the body is optional, a missing body where not.
 * Runs after the body limit, which has then already bounded what is read here.
 */
export function emptyJsonBodyIsNoBody(): MiddlewareHandler {
  return async (c, next) => {
    const type = c.req.header("content-type") ?? "";
    if (c.req.method === "POST" && /^application\/json\b/i.test(type) && (await c.req.text()) === "") {
      const headers = new Headers(c.req.raw.headers);
      headers.delete("content-type");
      headers.delete("content-length");
      c.req.raw = new Request(c.req.url, { method: c.req.method, headers, signal: c.req.raw.signal });
    }
    return next();
  };
}

/** Every documented path as a pattern with its methods (routes from app.openapi only). */
function knownRoutes(app: App): Array<{ pattern: RegExp; methods: Set<string> }> {
  const byPath = new Map<string, Set<string>>();
  for (const definition of app.openAPIRegistry.definitions) {
    if (definition.type !== "route") continue;
    const { path, method } = definition.route;
    const methods = byPath.get(path) ?? new Set<string>();
    methods.add(method.toUpperCase());
    byPath.set(path, methods);
  }
  return [...byPath].map(([path, methods]) => ({
    pattern: new RegExp(
      `^${path
        .split(/\{[^}]+\}/)
        .map((part) => part.replace(/[.*+?^$()|[\]\\]/g, "\\$&"))
        .join("[^/]+")}$`,
    ),
    methods,
  }));
}

async function createdRunId(res: Response): Promise<string | undefined> {
  if (!(res.headers.get("content-type") ?? "").includes("json")) return undefined;
  try {
    const body = (await res.clone().json()) as { id?: unknown };
    return typeof body.id === "string" ? body.id : undefined;
  } catch {
    return undefined;
  }
}
