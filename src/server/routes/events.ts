import { createRoute } from "@hono/zod-openapi";
import { credentialsCheck } from "../auth.js";
import { EventsHeaders, EventsQuery, RunIdParams } from "../requests.js";
import { EventSchema } from "../schemas.js";
import { startSeq, streamEvents } from "../sse.js";
import { type App, BEARER, errors, ownRun, type RouteContext } from "./common.js";

const SSE_DESCRIPTION =
  "A `text/event-stream`. Each message has `id:` = the event's seq, `event:` = the event's type (`run.started`, `step.succeeded`, …) and `data:` = one Event as JSON, in seq order. Reconnect with `Last-Event-ID` to continue after the last event received: nothing is missed or repeated. Idle streams get a `: keep-alive` comment. A stream ends within 5 s of its token being revoked (after a `: the token was revoked` comment); reconnecting with that token answers 401.";

const sse = { description: SSE_DESCRIPTION, content: { "text/event-stream": { schema: EventSchema } } };

const runEvents = createRoute({
  method: "get",
  path: "/api/runs/{id}/events",
  operationId: "streamRunEvents",
  tags: ["events"],
  summary: "Live events of one run (Server-Sent Events)",
  security: BEARER,
  request: { params: RunIdParams, query: EventsQuery, headers: EventsHeaders },
  responses: { 200: sse, ...errors(400, 401, 404) },
});

const allEvents = createRoute({
  method: "get",
  path: "/api/events",
  operationId: "streamEvents",
  tags: ["events"],
  summary: "Live events of every run of the caller's tenant (Server-Sent Events)",
  security: BEARER,
  request: { query: EventsQuery, headers: EventsHeaders },
  responses: { 200: sse, ...errors(400, 401) },
});

export function registerEventRoutes(app: App, { cairn, options }: RouteContext): void {
  const stream = {
    pollMs: options.ssePollMs,
    keepAliveMs: options.sseKeepAliveMs,
    onInternalError: options.onInternalError,
  };

  app.openapi(runEvents, async (c) => {
    const { id } = c.req.valid("param");
    const principal = c.get("principal");
    await ownRun(cairn, principal, id);
    const afterSeq = startSeq(c.req.valid("header")["last-event-id"], c.req.valid("query").after);
    return streamEvents(c, cairn, {
      ...stream,
      filter: { runId: id, tenant: principal.tenant },
      afterSeq,
      stillAuthorized: credentialsCheck(cairn.tokens, principal, c.req.header("authorization")),
    });
  });

  app.openapi(allEvents, async (c) => {
    const afterSeq = startSeq(c.req.valid("header")["last-event-id"], c.req.valid("query").after);
    return streamEvents(c, cairn, {
      ...stream,
      filter: { tenant: c.get("principal").tenant },
      afterSeq,
      stillAuthorized: credentialsCheck(cairn.tokens, c.get("principal"), c.req.header("authorization")),
    });
  });
}
