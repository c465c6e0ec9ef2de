// The container and service files, checked without a container runtime: what they copy and refer
// to exists, the image runs as a non-root user, every variable they set is one Cairn reads, and the
// entrypoint script parses under sh and bash and starts a real `cairn serve` when executed directly.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { envNames } from "../src/cli/environment.js";
import { buildProgram } from "../src/cli/main.js";
import { cli, ROOT } from "./helpers/cli.js";
import { tempDir } from "./helpers/temp.js";

const ENTRYPOINT = path.join(ROOT, "deploy/docker-entrypoint.sh");
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");

/** The variables `cairn serve`/`worker` read (every flag's, plus CAIRN_DB and CAIRN_DURABILITY). */
function knownVariables(): Set<string> {
  const program = buildProgram();
  const names = new Set(["CAIRN_DB"]);
  for (const command of [program, ...program.commands])
    for (const option of command.options)
      if (option.description.includes("(env: ")) for (const n of envNames(option)) names.add(n);
  return names;
}

/** Dockerfile instructions, with continuation lines joined and comments dropped. */
function instructions(text: string): Array<{ op: string; args: string }> {
  return text
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) => {
      const [op = "", ...rest] = l.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(" ") };
    });
}

test("Dockerfile: multi-stage on Node 20, copies only files that exist and are not ignored, runs as a non-root user", () => {
  const steps = instructions(read("Dockerfile"));
  const froms = steps.filter((s) => s.op === "FROM");
  assert.ok(froms.length >= 2, "multi-stage");
  for (const from of froms)
    assert.match(from.args, /^node:20[-.]/, "the Node version package.json's engines name");
  const ignored = read(".dockerignore")
    .split("\n")
    .filter((l) => l && !l.startsWith("#"));
  const final = steps.slice(steps.lastIndexOf(froms.at(-1)!));
  for (const copy of steps.filter((s) => s.op === "COPY" && !s.args.startsWith("--from"))) {
    const sources = copy.args.split(/\s+/).slice(0, -1);
    for (const source of sources) {
      assert.ok(fs.existsSync(path.join(ROOT, source)), `COPY ${source}: exists`);
      assert.ok(!ignored.includes(source), `COPY ${source}: not excluded by .dockerignore`);
    }
  }
  for (const secret of [".cairn", "node_modules", ".env", "*.db"])
    assert.ok(ignored.includes(secret), secret);
  const users = final.filter((s) => s.op === "USER");
  assert.equal(users.length, 1);
  assert.ok(!["root", "0", "0:0"].includes(users[0]!.args), "not root");
  assert.ok(
    final.findIndex((s) => s.op === "USER") < final.findIndex((s) => s.op === "ENTRYPOINT"),
    "USER before ENTRYPOINT",
  );
  const entrypoint = JSON.parse(final.find((s) => s.op === "ENTRYPOINT")!.args) as string[];
  assert.deepEqual(entrypoint, ["/app/deploy/docker-entrypoint.sh"]);
  assert.ok(
    final.some(
      (s) => s.op === "COPY" && s.args === "deploy/docker-entrypoint.sh ./deploy/docker-entrypoint.sh",
    ),
  );
  assert.ok(
    !final.some((s) => s.op === "RUN" && /npm (ci|install)(?!.*--omit=dev)/.test(s.args)),
    "no dev deps at run time",
  );
  assert.ok(fs.statSync(ENTRYPOINT).mode & 0o111, "the entrypoint is executable");
  for (const env of final.filter((s) => s.op === "ENV"))
    for (const name of env.args.match(/CAIRN_\w+/g) ?? []) assert.ok(knownVariables().has(name), name);
});

test("compose: PostgreSQL, serve and two workers, sharing runs' directories; every variable is one Cairn reads", () => {
  const compose = parse(read("deploy/compose.yaml"), { merge: true }) as {
    services: Record<
      string,
      {
        command?: string[];
        environment?: Record<string, string>;
        volumes?: string[];
        build?: { context: string; dockerfile: string };
        depends_on?: Record<string, unknown>;
      }
    >;
  };
  const services = compose.services;
  assert.ok(services.postgres, "PostgreSQL");
  const cairns = Object.entries(services).filter(([name]) => name !== "postgres");
  assert.deepEqual(
    cairns.map(([, s]) => s.command?.[0]).sort(),
    ["serve", "worker", "worker"],
    "one server and two workers",
  );
  const known = knownVariables();
  for (const [name, service] of cairns) {
    const env = service.environment ?? {};
    for (const variable of Object.keys(env))
      assert.ok(known.has(variable), `${name}: ${variable} is read by Cairn`);
    assert.match(
      env.CAIRN_DB ?? "",
      /^postgres:\/\/\w+:\w+@postgres:5432\/\w+$/,
      `${name} uses the postgres service`,
    );
    assert.ok(
      service.volumes?.includes("data:/data"),
      `${name} shares /data (the image's working directory)`,
    );
    assert.ok(service.depends_on?.postgres, `${name} waits for PostgreSQL`);
    const context = path.resolve(ROOT, "deploy", service.build!.context);
    assert.ok(fs.existsSync(path.join(context, service.build!.dockerfile)), "the Dockerfile it builds");
    // The image copies examples/ to /app/examples: the workflow named must be there, and it is
    // the one docs/operations.md says the compose file runs.
    const workflows = (env.CAIRN_WORKFLOWS ?? "").replace(/^\/app\//, "");
    assert.ok(fs.statSync(path.join(ROOT, workflows)).isFile(), `${name}: ${workflows} is a workflow file`);
    const docs = read("docs/operations.md").replace(/\s+/g, " ");
    assert.ok(docs.includes(`running \`${workflows}\``), `${name}: docs/operations.md names ${workflows}`);
  }
  const serve = cairns.find(([, s]) => s.command?.[0] === "serve")![1];
  assert.equal(serve.environment?.CAIRN_WORKER, "false", "steps are the workers' job");
});

test("systemd units: a non-root user, SIGTERM with time to finish steps, only variables Cairn reads", () => {
  const known = knownVariables();
  for (const file of ["deploy/cairn-serve.service", "deploy/cairn-worker@.service"]) {
    const text = read(file);
    const keys = new Map<string, string[]>();
    for (const line of text.split("\n")) {
      const m = /^(\w+)=(.*)$/.exec(line);
      if (m) keys.set(m[1]!, [...(keys.get(m[1]!) ?? []), m[2]!]);
    }
    for (const section of ["[Unit]", "[Service]", "[Install]"])
      assert.ok(text.includes(section), `${file} ${section}`);
    assert.ok(!["root", "0"].includes(keys.get("User")?.[0] ?? "root"), `${file}: User is not root`);
    assert.equal(keys.get("KillSignal")?.[0], "SIGTERM");
    assert.match(keys.get("ExecStart")?.[0] ?? "", /cairn (serve|worker)$/);
    for (const env of keys.get("Environment") ?? [])
      assert.ok(known.has(env.split("=")[0]!), `${file}: ${env}`);
    const { name: packageName } = JSON.parse(read("package.json")) as { name: string };
    for (const [, installed] of text.matchAll(/npm install -g (\S+?)[,)\s]/g))
      assert.equal(installed, packageName, `${file}: the package it says to install`);
    for (const name of text.match(/^#\s+(CAIRN_\w+)=/gm) ?? [])
      assert.ok(known.has(name.replace(/^#\s+/, "").replace(/=$/, "")), `${file}: ${name}`);
  }
});

test("the entrypoint parses under sh and bash", () => {
  for (const shell of ["sh", "bash"]) execFileSync(shell, ["-n", ENTRYPOINT]);
});

test("the entrypoint runs a cairn command when executed directly against a local store", async () => {
  const dir = tempDir();
  const token = execFileSync(ENTRYPOINT, ["token", "create", "--tenant", "ops"], {
    cwd: dir,
    env: { ...process.env, CAIRN_DB: path.join(dir, "cairn.db") },
    encoding: "utf8",
  });
  assert.match(token.trim(), /^cairn_\S{43}$/);
  // The token is in the store the entrypoint used.
  const listed = await cli(["--db", path.join(dir, "cairn.db"), "token", "ls", "--json"], { cwd: dir });
  assert.match(listed.stdout, /"tenant": "ops"/);
});

test("the entrypoint with no arguments serves (flags alone go to serve too), and SIGTERM reaches cairn", async () => {
  const dir = tempDir();
  const env = {
    ...process.env,
    CAIRN_DB: path.join(dir, "cairn.db"),
    CAIRN_HOST: "127.0.0.1",
    PORT: "0",
    CAIRN_WORKFLOWS: path.join(ROOT, "examples"),
  };
  for (const args of [[], ["--no-worker"]]) {
    // The script itself, as the image's ENTRYPOINT runs it (not `node script`).
    const child = spawn(ENTRYPOINT, args, { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    let out = "";
    const listening = new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (d) => {
        out += d;
        const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
        if (url) resolve(url);
      });
      void exited.then((code) => reject(new Error(`exited ${code} before listening: ${out}`)));
    });
    const url = await listening;
    assert.match(out, args.length === 0 ? /\(\d+ workflows?, worker on\)/ : /\(\d+ workflows?, no worker\)/);
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    child.kill("SIGTERM");
    assert.equal(await exited, 0, "node got SIGTERM (exec) and shut down cleanly");
  }
});
