import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { cli, ROOT } from "./helpers/cli.js";
import { tempDir } from "./helpers/temp.js";

// A workflow wherever a newcomer writes it: a folder with no package.json, a `"type": "commonjs"`
// package (what `npm init -y` writes), an ES module package; every file extension; `file#export`;
// and YAML steps that use such files. Each runs through the real `cairn` command.

const root = tempDir("cairn-loader-");
// `import "cairn-runs"` resolves as in a project that installed it.
fs.mkdirSync(path.join(root, "node_modules"));
fs.symlinkSync(ROOT, path.join(root, "node_modules", "cairn-runs"), "dir");
const PACKAGE_JSON: Record<string, string | undefined> = {
  bare: undefined,
  commonjs: '{ "name": "p", "version": "1.0.0", "type": "commonjs" }',
  module: '{ "name": "p", "version": "1.0.0", "type": "module" }',
};
for (const [folder, json] of Object.entries(PACKAGE_JSON)) {
  fs.mkdirSync(path.join(root, folder));
  if (json) fs.writeFileSync(path.join(root, folder, "package.json"), json);
}
const where = (folder: string) => (folder === "bare" ? "no package.json" : `"type": "${folder}"`);

/** ES module syntax, with a type annotation so only a TypeScript loader accepts it in .ts files. */
const esTs = (id: string) =>
  `import { workflow } from "cairn-runs";\nconst base: number = 40;\nexport default workflow("${id}").step("a", () => base + 2);\n`;
const esJs = (id: string) =>
  `import { workflow } from "cairn-runs";\nexport default workflow("${id}").step("a", () => 42);\n`;
const commonJs = (id: string) =>
  `const { workflow } = require("cairn-runs");\nmodule.exports = workflow("${id}").step("a", () => 42);\n`;

/** Write the file, `cairn run` it, and check the run succeeded with `expected` as its output. */
async function runsTo(expected: number, folder: string, file: string, text: string, spec = file) {
  fs.writeFileSync(path.join(root, folder, file), text);
  const result = await cli(["run", spec, "--json", "--db", "cairn.db"], { cwd: path.join(root, folder) });
  assert.equal(result.code, 0, result.stderr);
  const run = JSON.parse(result.stdout) as { status: string; output: unknown };
  assert.equal(run.status, "succeeded");
  assert.equal(run.output, expected);
}

for (const folder of ["bare", "commonjs", "module"])
  test(`a .ts workflow (${where(folder)}) loads and runs`, () =>
    runsTo(42, folder, `ts-${folder}.ts`, esTs(`ts-${folder}`)));

test("a .cts workflow (CommonJS TypeScript) in a module package loads and runs", () =>
  runsTo(42, "module", "flow.cts", esTs("cts")));

test("a .mts workflow (ES module TypeScript) in a CommonJS package loads and runs", () =>
  runsTo(42, "commonjs", "flow.mts", esTs("mts")));

test("a CommonJS .js workflow (require / module.exports) loads and runs", () =>
  runsTo(42, "commonjs", "flow.js", commonJs("js-cjs")));

test("an ES module .js workflow in a module package loads and runs", () =>
  runsTo(42, "module", "flow.js", esJs("js-esm")));

test("a .cjs and a .mjs workflow (no package.json) load and run", async () => {
  await runsTo(42, "bare", "flow.cjs", commonJs("cjs"));
  await runsTo(42, "bare", "flow.mjs", esJs("mjs"));
});

test("file.ts#export picks one of several workflows in a .ts file compiled as CommonJS", () =>
  runsTo(
    42,
    "bare",
    "two.ts",
    `import { workflow } from "cairn-runs";\nexport const first = workflow("first").step("a", () => 1);\nexport const second = workflow("second").step("a", (): number => 42);\n`,
    "two.ts#second",
  ));

test("file.js#export in a CommonJS .js file (exports.name = …)", () =>
  runsTo(
    42,
    "commonjs",
    "named.js",
    `const { workflow } = require("cairn-runs");\nexports.other = workflow("other").step("a", () => 1);\nexports.picked = workflow("picked").step("a", () => 42);\n`,
    "named.js#picked",
  ));

// YAML `uses:` of one function file of each kind, default and named exports; the run's output is what
// the function returns.
const USES: Array<[folder: string, file: string, text: string, ref: string, output: number]> = [
  ["bare", "fn-bare.ts", "export default function (): number {\n  return 1;\n}\n", "./fn-bare.ts", 1],
  ["commonjs", "fn-cjs.ts", "export function two(): number {\n  return 2;\n}\n", "./fn-cjs.ts#two", 2],
  ["module", "fn.cts", "export const three = (): number => 3;\n", "./fn.cts#three", 3],
  ["commonjs", "fn.mts", "export default (): number => 4;\n", "./fn.mts", 4],
  ["commonjs", "fn.js", "module.exports = () => 5;\n", "./fn.js", 5],
  ["commonjs", "fn-named.js", "exports.six = () => 6;\n", "./fn-named.js#six", 6],
  ["module", "fn.js", "export const seven = () => 7;\n", "./fn.js#seven", 7],
];

for (const [folder, file, text, ref, output] of USES)
  test(`YAML uses: ${ref} (${where(folder)})`, async () => {
    fs.writeFileSync(path.join(root, folder, file), text);
    const yaml = `id: uses-${output}\nsteps:\n  - id: f\n    uses: ${ref}\n`;
    await runsTo(output, folder, `uses-${output}.yaml`, yaml);
  });
