// The files API over real HTTP: listing, download, and every way out of the run directory refused.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { test } from "node:test";
import { workflow } from "../../src/index.js";
import { assertErrorShape, startServer } from "./helpers.js";

const SECRET = "top-secret-outside-the-run-directory";

/** Leaves a report (declared), a nested CSV, a PNG, a symlink inside and one pointing out. */
const artefacts = workflow("artefacts").step("write", { outputs: ["report.txt"] }, async ({ run }) => {
  const dir = run.workdir;
  fs.writeFileSync(path.join(dir, "report.txt"), "tides: high\n");
  fs.mkdirSync(path.join(dir, "data"), { recursive: true });
  fs.writeFileSync(path.join(dir, "data", "part 1.csv"), "a,b\n1,2\n");
  fs.writeFileSync(path.join(dir, "chart.png"), Buffer.from("89504e470d0a1a0a", "hex"));
  fs.symlinkSync("report.txt", path.join(dir, "latest.txt"));
  const outside = path.join(path.dirname(path.dirname(dir)), "secret.txt");
  fs.writeFileSync(outside, SECRET);
  fs.symlinkSync(outside, path.join(dir, "escape.txt"));
  fs.symlinkSync(path.dirname(outside), path.join(dir, "escape-dir"));
  return "written";
});

const s = await startServer({ workflows: [artefacts] });
const started = await s.api("/api/workflows/artefacts/runs", {
  token: s.tokens.acme,
  json: { runId: "art" },
});
assert.equal(started.status, 201, started.text);
await s.waitForStatus("art", ["succeeded"]);

/** A GET whose path is sent byte for byte (fetch would normalise `..` away before sending). */
function rawGet(rawPath: string): Promise<{ status: number; body: string; type: string | undefined }> {
  const url = new URL(s.url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: rawPath,
        headers: { authorization: `Bearer ${s.tokens.acme}` },
      },
      (res) => {
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body, type: res.headers["content-type"] }),
        );
      },
    );
    req.on("error", reject);
    req.end();
  });
}

test("GET /files lists names, sizes, times and the declared output's digest, and notices a change", async () => {
  const res = await s.api("/api/runs/art/files", { token: s.tokens.acme });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.present, true);
  const byPath = new Map(res.body.files.map((f: { path: string }) => [f.path, f]));
  assert.deepEqual([...byPath.keys()].sort(), ["chart.png", "data/part 1.csv", "latest.txt", "report.txt"]);
  const report = byPath.get("report.txt") as { size: number; modifiedAt: number; declared: unknown };
  assert.equal(report.size, "tides: high\n".length);
  assert.ok(Math.abs(report.modifiedAt - Date.now()) < 60_000);
  assert.deepEqual(report.declared, {
    path: "report.txt",
    stepId: "write",
    digest: createHash("sha256").update("tides: high\n").digest("hex"),
    state: "matches",
  });

  const workdir = path.join(s.dir, "runs", "art");
  fs.writeFileSync(path.join(workdir, "report.txt"), "tides: edited by hand\n");
  const changed = await s.api("/api/runs/art/files", { token: s.tokens.acme });
  assert.equal(changed.body.declared[0].state, "changed");
  fs.rmSync(path.join(workdir, "report.txt"));
  const missing = await s.api("/api/runs/art/files", { token: s.tokens.acme });
  assert.equal(missing.body.declared[0].state, "missing");
  fs.writeFileSync(path.join(workdir, "report.txt"), "tides: high\n");
  const back = await s.api("/api/runs/art/files", { token: s.tokens.acme });
  assert.equal(back.body.declared[0].state, "matches");
});

test("GET /files/{path} streams a file with its content type; nested paths and spaces work", async () => {
  const report = await s.api("/api/runs/art/files/report.txt", { token: s.tokens.acme });
  assert.equal(report.status, 200);
  assert.equal(report.text, "tides: high\n");
  assert.equal(report.headers.get("content-type"), "text/plain; charset=utf-8");
  assert.equal(report.headers.get("x-content-type-options"), "nosniff");
  const csv = await s.api("/api/runs/art/files/data/part%201.csv", { token: s.tokens.acme });
  assert.equal(csv.status, 200);
  assert.equal(csv.text, "a,b\n1,2\n");
  assert.match(csv.headers.get("content-type") ?? "", /^text\/csv/);
  const png = await s.api("/api/runs/art/files/chart.png", { token: s.tokens.acme });
  assert.equal(png.headers.get("content-type"), "image/png");
  const inside = await s.api("/api/runs/art/files/latest.txt", { token: s.tokens.acme });
  assert.equal(inside.text, "tides: high\n", "a symlink that stays inside is served");

  assertErrorShape(await s.api("/api/runs/art/files/nope.txt", { token: s.tokens.acme }), 404, "NOT_FOUND");
  assertErrorShape(await s.api("/api/runs/art/files/data", { token: s.tokens.acme }), 404, "NOT_FOUND");
  // Another tenant's run: the same 404 as a run that does not exist.
  assertErrorShape(
    await s.api("/api/runs/art/files/report.txt", { token: s.tokens.globex }),
    404,
    "NOT_FOUND",
  );
  assertErrorShape(await s.api("/api/runs/art/files", { token: s.tokens.globex }), 404, "NOT_FOUND");
});

test("every path that tries to leave the run directory is refused and never returns the file", async () => {
  const attempts = [
    "../secret.txt",
    "../../secret.txt",
    "data/../../secret.txt",
    "%2e%2e/secret.txt",
    "%2e%2e%2fsecret.txt",
    "..%2fsecret.txt",
    "data%2f..%2f..%2fsecret.txt",
    "%252e%252e%252fsecret.txt",
    "..%5csecret.txt",
    "%2fetc%2fpasswd",
    "/etc/passwd",
    "//etc/passwd",
    "escape.txt",
    "escape-dir/secret.txt",
    "report.txt%00.png",
  ];
  for (const attempt of attempts) {
    const res = await rawGet(`/api/runs/art/files/${attempt}`);
    assert.ok(
      res.status === 400 || res.status === 404,
      `${attempt}: expected 400 or 404, got ${res.status} ${res.body}`,
    );
    assert.ok(!res.body.includes(SECRET), `${attempt} leaked the file outside the run directory`);
    assert.ok(!res.body.includes("root:"), `${attempt} leaked /etc/passwd`);
    assert.match(res.type ?? "", /application\/json/, `${attempt}: an error body, not a file`);
  }
  // The ones that reach the route are refused with a sentence saying why.
  const symlink = await s.api("/api/runs/art/files/escape.txt", { token: s.tokens.acme });
  assertErrorShape(symlink, 400, "BAD_REQUEST");
  assert.match(symlink.body.error.message, /leads out of the run directory/);
  const encoded = await rawGet("/api/runs/art/files/..%2fsecret.txt");
  assert.equal(encoded.status, 400, encoded.body);
  assert.match(JSON.parse(encoded.body).error.message, /\.\. segments/);
  const twice = await rawGet("/api/runs/art/files/%252e%252e%252fsecret.txt");
  assert.equal(twice.status, 400, twice.body);
  assert.match(JSON.parse(twice.body).error.message, /percent-encoded twice/);
  const absolute = await rawGet("/api/runs/art/files/%2fetc%2fpasswd");
  assert.equal(absolute.status, 400, absolute.body);
});

test("a run whose directory is gone lists present: false, and its files answer 404", async () => {
  const other = await s.api("/api/workflows/artefacts/runs", {
    token: s.tokens.acme,
    json: { runId: "gone" },
  });
  assert.equal(other.status, 201);
  await s.waitForStatus("gone", ["succeeded"]);
  fs.rmSync(path.join(s.dir, "runs", "gone"), { recursive: true, force: true });
  const res = await s.api("/api/runs/gone/files", { token: s.tokens.acme });
  assert.equal(res.status, 200);
  assert.equal(res.body.present, false);
  assert.deepEqual(res.body.files, []);
  assert.equal(res.body.declared[0].state, "missing");
  const file = await s.api("/api/runs/gone/files/report.txt", { token: s.tokens.acme });
  assertErrorShape(file, 404, "NOT_FOUND");
  assert.match(file.body.error.message, /not on this machine/);
});
