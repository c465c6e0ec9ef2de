import fs from "node:fs/promises";
import path from "node:path";
import type { MiddlewareHandler } from "hono";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".map": "application/json",
  ".txt": "text/plain; charset=utf-8",
};

/** Vite names built assets `name-<hash>.ext`: their content never changes under that name. */
const HASHED = /[.-][A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;

/**
 * The built web UI: files from `dir`, and index.html for any other path without an extension (the
 * UI routes in the browser). Hashed assets are cached for a year; everything else is revalidated.
 */
export function serveWebUi(dir: string): MiddlewareHandler {
  const root = path.resolve(dir);
  return async (c, next) => {
    if (
      (c.req.method !== "GET" && c.req.method !== "HEAD") ||
      c.req.path === "/api" ||
      c.req.path.startsWith("/api/")
    )
      return next();
    let relative: string;
    try {
      relative = decodeURIComponent(c.req.path);
    } catch {
      return next();
    }
    let file = path.join(root, relative);
    if (file !== root && !file.startsWith(root + path.sep)) return next();
    if (!(await isFile(file))) {
      if (path.extname(relative) !== "") return next();
      file = path.join(root, "index.html");
      if (!(await isFile(file))) return next();
    }
    const name = path.basename(file);
    const cache =
      HASHED.test(name) && name !== "index.html" ? "public, max-age=31536000, immutable" : "no-cache";
    return c.body(await fs.readFile(file), 200, {
      "Content-Type": TYPES[path.extname(file)] ?? "application/octet-stream",
      "Cache-Control": cache,
    });
  };
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}
