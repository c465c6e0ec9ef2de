// The layering docs/architecture.md draws, checked on the sources: no import cycle, and nothing
// outside src/store reaches into one database's implementation (src/store/open-store.ts picks one).
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { ROOT } from "./helpers/cli.js";

const SRC = path.join(ROOT, "src");

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return entry.name.endsWith(".ts") ? [full] : [];
  });
}

/** Relative imports and re-exports of a file (type-only ones too: they are arrows between modules). */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, "utf8");
  const found: string[] = [];
  for (const [, spec] of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^"'`;]*?from\s+["'](\.[^"']+)["']/g))
    found.push(path.resolve(path.dirname(file), spec!.replace(/\.js$/, ".ts")));
  for (const [, spec] of text.matchAll(/import\(\s*["'](\.[^"']+)["']\s*\)/g))
    found.push(path.resolve(path.dirname(file), spec!.replace(/\.js$/, ".ts")));
  return found.filter((f) => fs.existsSync(f));
}

const graph = new Map(sources(SRC).map((file) => [file, importsOf(file)]));
const rel = (file: string) => path.relative(ROOT, file);

test("the sources have no import cycle", () => {
  const state = new Map<string, "open" | "done">();
  const cycles: string[] = [];
  const visit = (file: string, trail: string[]) => {
    if (state.get(file) === "done") return;
    if (state.get(file) === "open") {
      cycles.push([...trail.slice(trail.indexOf(file)), file].map(rel).join(" → "));
      return;
    }
    state.set(file, "open");
    for (const next of graph.get(file) ?? []) visit(next, [...trail, file]);
    state.set(file, "done");
  };
  for (const file of graph.keys()) visit(file, []);
  assert.ok(graph.size > 100, `found the sources (${graph.size} files)`);
  assert.deepEqual(cycles, []);
});

test("only src/store reaches a database's implementation; core imports no other layer", () => {
  const store = path.join(SRC, "store");
  const implementations = [path.join(store, "sqlite"), path.join(store, "postgres")];
  const reaching: string[] = [];
  const coreOut: string[] = [];
  for (const [file, imports] of graph) {
    for (const target of imports) {
      if (!file.startsWith(store) && implementations.some((d) => target.startsWith(d)))
        reaching.push(`${rel(file)} → ${rel(target)}`);
      if (file.startsWith(path.join(SRC, "core")) && !target.startsWith(path.join(SRC, "core")))
        coreOut.push(`${rel(file)} → ${rel(target)}`);
    }
  }
  assert.deepEqual(reaching, []);
  assert.deepEqual(coreOut, []);
});
