// docs/tutorial.md cannot rot: its commands run here, in order, from an empty folder. A `ts` block whose
// first line is `// name.ts` is written to that file; each line of a `sh` block runs (`npx cairn` is the
// built CLI; `# exit N` is the exit code it must have; `# runs until Ctrl-C` is started, must print
// its URL, and is stopped); a bare block after a `sh` block is the last command's exact stdout.
// `npm install cairn-runs` is the one line not run: the package is linked in (test:pack installs it).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { BIN, ROOT } from "./helpers/cli.js";
import { tempDir } from "./helpers/temp.js";

interface Block {
  lang: string;
  text: string;
}

function blocks(markdown: string): Block[] {
  return [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1]!, text: m[2]! }));
}

function sh(command: string, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn("bash", ["-c", command], { cwd, env: { ...process.env, NO_COLOR: "1" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Start a long-running command, wait for the URL it prints, stop it with SIGTERM. */
function serveOnce(command: string, cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", `exec ${command}`], { cwd, env: { ...process.env, NO_COLOR: "1" } });
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.stdout.on("data", (d) => {
      stdout += d;
      const url = /http:\/\/\S+/.exec(stdout)?.[0];
      if (url) {
        child.kill("SIGTERM");
        resolve(url);
      }
    });
    child.on("close", (code) =>
      reject(new Error(`${command} exited (${code}) before printing a URL\n${stderr}`)),
    );
  });
}

test("docs/tutorial.md: every command works from an empty folder", async () => {
  const markdown = fs.readFileSync(path.join(ROOT, "docs", "tutorial.md"), "utf8");
  let cwd = tempDir("cairn-tutorial-");
  let last = { code: 0 as number | null, stdout: "", stderr: "" };
  let previous = "";
  for (const block of blocks(markdown)) {
    if (block.lang === "ts") {
      const name = /^\/\/ (\S+\.ts)\n/.exec(block.text)?.[1];
      if (name) fs.writeFileSync(path.join(cwd, name), block.text);
    } else if (block.lang === "sh") {
      for (const line of block.text.split("\n").filter(Boolean)) {
        const expected = Number(/# exit (\d+)/.exec(line)?.[1] ?? 0);
        const command = line.replace(/\s+#.*$/, "").replaceAll("npx cairn", `node ${BIN}`);
        if (command === "npm install cairn-runs") {
          fs.mkdirSync(path.join(cwd, "node_modules"));
          fs.symlinkSync(ROOT, path.join(cwd, "node_modules", "cairn-runs"), "dir");
          continue;
        }
        const cd = /^mkdir (\S+) && cd \1$/.exec(command);
        if (cd) {
          cwd = path.join(cwd, cd[1]!);
          fs.mkdirSync(cwd);
          continue;
        }
        if (line.includes("# runs until Ctrl-C")) {
          assert.match(await serveOnce(`${command} --port 0`, cwd), /^http:\/\/127\.0\.0\.1:\d+/);
          continue;
        }
        last = await sh(command, cwd);
        assert.equal(last.code, expected, `${line}\n${last.stdout}\n${last.stderr}`);
      }
    } else if (block.lang === "" && previous === "sh") assert.equal(last.stdout, block.text);
    previous = block.lang;
  }
  // What the tutorial says happened did happen.
  const ls = await sh(`node ${BIN} ls --json`, cwd);
  const runs = JSON.parse(ls.stdout) as Array<{
    id: string;
    status: string;
    origin: string;
    attempt: number;
  }>;
  assert.deepEqual(
    runs.map((r) => [r.origin, r.status]),
    [
      ["rerun", "succeeded"],
      ["start", "succeeded"],
    ],
  );
  assert.equal(runs[1]!.attempt, 2, "first was resumed once");
});
