import type { Server } from "node:http";
import { createAdaptorServer } from "@hono/node-server";
import { type Listening, listenOn } from "./listen-on.js";
import type { App } from "./routes/common.js";

export type { Listening };

/** Serve an app on host:port; resolves once listening, rejects when the port cannot be bound. */
export function listen(app: App, options: { host: string; port: number }): Promise<Listening> {
  return listenOn(createAdaptorServer({ fetch: app.fetch }) as Server, options);
}
