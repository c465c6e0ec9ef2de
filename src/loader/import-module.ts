import path from "node:path";
import { pathToFileURL } from "node:url";

export const TS_EXTENSIONS = new Set([".ts", ".mts", ".cts", ".tsx"]);
export const JS_EXTENSIONS = new Set([".js", ".mjs", ".cjs"]);

/** One line about why a module failed to load; esbuild puts the useful line second. */
export function loadErrorText(error: unknown): string {
  const lines = (error instanceof Error ? error.message : String(error)).split("\n");
  const useful = /^Transform failed/.test(lines[0] ?? "") && lines[1] ? lines[1] : lines[0];
  return useful ?? "";
}

/** Import a module; TypeScript files go through tsx so users need no build step. */
export async function importModule(file: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(file).href;
  if (TS_EXTENSIONS.has(path.extname(file))) {
    const { tsImport } = await import("tsx/esm/api");
    return (await tsImport(url, import.meta.url)) as Record<string, unknown>;
  }
  return (await import(url)) as Record<string, unknown>;
}
