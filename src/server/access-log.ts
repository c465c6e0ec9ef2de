import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { CairnLogger } from "../core/logger.js";
import type { AppEnv } from "./auth.js";

/**
 * One line per request: method, route (the matched pattern, e.g. `/api/runs/:id`, never the URL with
 * its query string), status, duration and tenant. Never headers, bodies or tokens. Errors (5xx) are
 * logged at warn, the rest at info.
 */
export function accessLog(logger: CairnLogger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const status = c.res.status;
    const fields = {
      method: c.req.method,
      route: routePath(c),
      status,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
      tenant: c.get("principal")?.tenant ?? null,
    };
    if (status >= 500) logger.warn(fields, "request failed");
    else logger.info(fields, "request");
  };
}
