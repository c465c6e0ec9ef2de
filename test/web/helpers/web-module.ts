import path from "node:path";
import { fileURLToPath } from "node:url";
import { tsImport } from "tsx/esm/api";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const OPTIONS = { parentURL: import.meta.url, tsconfig: path.join(ROOT, "web/tsconfig.json") };

/**
 * Load a module of the web UI with the web's own tsconfig (JSX, bundler-style imports). The root
 * typecheck never sees web/src through these imports, so the caller states the shape it expects.
 * React is loaded through the same loader, so components and renderer share one React.
 */
export async function webModule<T>(relativeToWebSrc: string): Promise<T> {
  return (await tsImport(path.join(ROOT, "web/src", relativeToWebSrc), OPTIONS)) as T;
}

interface ReactLike {
  createElement(type: unknown, props?: Record<string, unknown> | null, ...children: unknown[]): unknown;
}

/** Render a component of the web UI to static HTML (react-dom/server), without a DOM. */
export async function renderStatic(component: unknown, props: Record<string, unknown>): Promise<string> {
  const react = (await tsImport("react", OPTIONS)) as ReactLike;
  const server = (await tsImport("react-dom/server", OPTIONS)) as {
    renderToStaticMarkup(node: unknown): string;
  };
  return server.renderToStaticMarkup(react.createElement(component, props));
}
