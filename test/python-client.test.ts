// The Python client (clients/python, standard library only) against a live `cairn serve`, run by
// python3's own unittest: its tests start the server from bin/cairn.js (built into dist/).
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import path from "node:path";
import { test } from "node:test";
import { ROOT } from "./helpers/cli.js";

const PYTHON = process.env.CAIRN_PYTHON ?? "python3";
const missing = spawnSync(PYTHON, ["--version"]).error ? `${PYTHON} is not installed` : null;
if (missing && process.env.CI === "true") throw new Error(`${missing}; CI runs the Python client's tests.`);

test("clients/python: python3 -m unittest against a real cairn serve", {
  skip: missing ?? false,
  timeout: 120_000,
}, async () => {
  const child = spawn(PYTHON, ["-m", "unittest", "discover", "-s", "tests", "-v"], {
    cwd: path.join(ROOT, "clients/python"),
    env: { ...process.env, CAIRN_NODE: process.execPath, PYTHONDONTWRITEBYTECODE: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  assert.equal(code, 0, output);
  assert.match(output, /Ran \d+ tests/);
  assert.doesNotMatch(output, /skipped/);
});
