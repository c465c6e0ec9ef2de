// `cairn workflows push` and `cairn workflows versions`: a YAML or JSON file stored as a version in
// the store, the same content giving the same version, code refused unless --allow-shell.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { cli } from "./helpers/cli.js";
import { tempDir } from "./helpers/temp.js";

test("cairn workflows push stores a version, again unchanged; versions lists them; shell refused (exit 2) unless --allow-shell", async () => {
  const cwd = tempDir();
  const file = path.join(cwd, "fetch.yaml");
  fs.writeFileSync(
    file,
    `id: fetch\nsteps:\n  - id: get\n    uses: http.request\n    with: { url: "\${{ input.url }}" }\n`,
  );
  const first = await cli(["workflows", "push", file, "--json"], { cwd });
  assert.equal(first.code, 0, first.stderr);
  const stored = JSON.parse(first.stdout) as { id: string; version: string; created: boolean };
  assert.equal(stored.id, "fetch");
  assert.equal(stored.created, true);
  const again = await cli(["workflows", "push", file], { cwd });
  assert.equal(again.stdout, `Unchanged: workflow "fetch" version ${stored.version} (tenant "default")\n`);

  const listed = await cli(["workflows", "versions", "fetch", "--json"], { cwd });
  assert.deepEqual(
    (JSON.parse(listed.stdout) as { versions: Array<{ version: string }> }).versions.map((v) => v.version),
    [stored.version],
  );
  const elsewhere = await cli(["workflows", "versions", "fetch", "--tenant", "acme"], { cwd });
  assert.equal(elsewhere.code, 2);
  assert.equal(elsewhere.stderr, 'cairn: Workflow "fetch" has no stored versions.\n');

  const shell = path.join(cwd, "shell.yaml");
  fs.writeFileSync(shell, "id: shell\nsteps:\n  - id: s\n    run: echo hi\n");
  const refused = await cli(["workflows", "push", shell], { cwd });
  assert.equal(refused.code, 2);
  assert.match(
    refused.stderr,
    /shell\.yaml:4:10: step "s": a shell command \(run:\) is refused in a workflow stored as data/,
  );
  const allowed = await cli(["workflows", "push", shell, "--allow-shell"], { cwd });
  assert.equal(allowed.code, 0, allowed.stderr);
  assert.match(allowed.stdout, /^Stored workflow "shell" version [0-9a-f]{16}/);
});
