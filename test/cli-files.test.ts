// `cairn files` and the `files` field of `show --json`, through the real binary.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { cli, ROOT } from "./helpers/cli.js";
import { tempDir } from "./helpers/temp.js";

const FIXTURE = path.join(ROOT, "test/fixtures/cli/artefacts.yaml");
const sha = (text: string) => createHash("sha256").update(text).digest("hex");

test("cairn files lists a run's files, writes one to stdout or --out, and refuses paths out", async () => {
  const cwd = tempDir();
  const ran = await cli(["--json", "run", FIXTURE], { cwd });
  assert.equal(ran.code, 0, ran.stderr);
  const runId = (JSON.parse(ran.stdout) as { id: string }).id;

  const listed = await cli(["files", runId], { cwd });
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /6 B .* report\.txt {2}output of write: matches/);
  assert.match(listed.stdout, /8 B .* out\/table\.csv\n/);

  const json = await cli(["--json", "files", runId], { cwd });
  const listing = JSON.parse(json.stdout) as { files: Array<{ path: string; size: number }> };
  assert.deepEqual(
    listing.files.map((f) => [f.path, f.size]),
    [
      ["out/table.csv", 8],
      ["report.txt", 6],
    ],
  );

  const one = await cli(["files", runId, "out/table.csv"], { cwd });
  assert.equal(one.code, 0, one.stderr);
  assert.equal(one.stdout, "a,b\n1,2\n");
  const target = path.join(cwd, "copy.csv");
  const saved = await cli(["files", runId, "out/table.csv", "--out", target], { cwd });
  assert.equal(saved.code, 0, saved.stderr);
  assert.equal(saved.stdout, "");
  assert.equal(fs.readFileSync(target, "utf8"), "a,b\n1,2\n");

  for (const bad of ["../cairn.db", "/etc/passwd", "out/../../cairn.db"]) {
    const refused = await cli(["files", runId, bad], { cwd });
    assert.equal(refused.code, 2, `${bad}: ${refused.stderr}`);
    assert.match(refused.stderr, /^cairn: File path ".*" is refused: .*\.\n$/);
    assert.equal(refused.stdout, "");
  }
  const missing = await cli(["files", runId, "nope.txt"], { cwd });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /has no file "nope\.txt"/);
});

test("show --json has each step's declared files with the recorded digest and whether they still match", async () => {
  const cwd = tempDir();
  const ran = await cli(["--json", "run", FIXTURE], { cwd });
  const runId = (JSON.parse(ran.stdout) as { id: string }).id;
  const show = async () =>
    (
      JSON.parse((await cli(["--json", "show", runId], { cwd })).stdout) as {
        steps: Array<{ files: unknown }>;
      }
    ).steps[0]!.files;
  assert.deepEqual(await show(), [{ path: "report.txt", digest: sha("hello\n"), state: "matches" }]);
  fs.writeFileSync(path.join(cwd, ".cairn", "runs", runId, "report.txt"), "edited\n");
  assert.deepEqual(await show(), [{ path: "report.txt", digest: sha("hello\n"), state: "changed" }]);
  const listed = await cli(["files", runId], { cwd });
  assert.match(listed.stdout, /report\.txt {2}output of write: changed/);
});
