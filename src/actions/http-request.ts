import { z } from "zod";
import { defineAction } from "../core/action.js";

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
/** Seven days, the longest step timeout Cairn accepts. */
const MAX_TIMEOUT_MS = 7 * 24 * 3_600_000;

/**
 * `uses: http.request`: one HTTP request. A network error, a timeout, or (unless `failOnStatus:
 * false`) a status of 400 or more fails the step, so the step's own `retry:` policy retries it.
 * The output is `{ status, headers, body }`, the body parsed when the response is JSON. The request's
 * headers are not in the output (they often carry a token).
 */
export const httpRequest = defineAction({
  name: "http.request",
  version: 1,
  description: "Send an HTTP request; output { status, headers, body }.",
  params: z.strictObject({
    url: z.url({ protocol: /^https?$/ }),
    method: z.enum(METHODS).default("GET"),
    headers: z.record(z.string(), z.string()).default({}),
    /** A string is sent as is; any other value as JSON (with content-type application/json). */
    body: z.json().optional(),
    timeoutMs: z.number().int().min(1).max(MAX_TIMEOUT_MS).default(30_000),
    failOnStatus: z.boolean().default(true),
  }),
  async handler(params, ctx) {
    const headers = new Headers(params.headers);
    let body: string | undefined;
    if (params.body !== undefined && params.body !== null) {
      body = typeof params.body === "string" ? params.body : JSON.stringify(params.body);
      if (typeof params.body !== "string" && !headers.has("content-type"))
        headers.set("content-type", "application/json");
    }
    const target = new URL(params.url);
    // Named without its query string: a token is often passed there.
    const shown = `${params.method} ${target.origin}${target.pathname}`;
    const timeout = AbortSignal.timeout(params.timeoutMs);
    let response: Response;
    try {
      response = await fetch(target, {
        method: params.method,
        headers,
        body,
        signal: AbortSignal.any([ctx.signal, timeout]),
        redirect: "follow",
      });
    } catch (error) {
      if (timeout.aborted) throw new Error(`${shown} timed out after ${params.timeoutMs} ms`);
      if (ctx.signal.aborted) throw error;
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new Error(`${shown} failed: ${cause?.code ?? cause?.message ?? String(error)}`, { cause: error });
    }
    const text = await response.text();
    const isJson = /^application\/(?:[\w.+-]+\+)?json\b/i.test(response.headers.get("content-type") ?? "");
    let parsed: unknown = text;
    if (isJson && text.length > 0) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    if (params.failOnStatus && response.status >= 400)
      throw new Error(`${shown} answered ${response.status} ${response.statusText}`.trimEnd());
    return {
      status: response.status,
      headers: Object.fromEntries(response.headers),
      body: params.method === "HEAD" ? null : parsed,
    };
  },
});
