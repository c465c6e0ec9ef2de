import { execFile } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { TestContext } from "node:test";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Where the Debian packages put the server binaries; `CAIRN_TEST_PG_BIN` overrides. */
const BIN = process.env.CAIRN_TEST_PG_BIN ?? "/usr/lib/postgresql/15/bin";

export interface PrivateCluster {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  readonly url: string;
  /** Stop the server; "immediate" is a crash (no shutdown checkpoint; crash recovery on the next start). */
  stop(mode: "fast" | "immediate"): Promise<void>;
  start(): Promise<void>;
}

/**
 * A throw-away PostgreSQL cluster in a temp dir on a free port, for tests that stop and start the
 * server (doing that to the shared server would break every other test running at the same time).
 * Skipped with a message when the server binaries are missing, failed instead with CI=true.
 */
export async function privateCluster(t: TestContext): Promise<PrivateCluster | null> {
  if (!fs.existsSync(path.join(BIN, "initdb"))) {
    const message = `PostgreSQL server binaries not found in ${BIN} (set CAIRN_TEST_PG_BIN)`;
    if (process.env.CI === "true") throw new Error(`${message}; CI=true requires this test to run.`);
    t.skip(message);
    return null;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-pg-"));
  const data = path.join(dir, "data");
  const port = await freePort();
  // initdb refuses to run as root: run the server binaries as the postgres user then.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) await run("chown", ["postgres", dir]);
  const pg = (tool: string, args: string[]) =>
    asRoot
      ? run("runuser", ["-u", "postgres", "--", path.join(BIN, tool), ...args])
      : run(path.join(BIN, tool), args);
  const serverOptions = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60`;
  const cluster: PrivateCluster = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop(mode) {
      await pg("pg_ctl", ["-D", data, "-m", mode, "-w", "stop"]);
    },
    async start() {
      await pg("pg_ctl", [
        "-D",
        data,
        "-l",
        path.join(dir, "server.log"),
        "-o",
        serverOptions,
        "-w",
        "start",
      ]);
    },
  };
  t.after(async () => {
    await cluster.stop("immediate").catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  await pg("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"]);
  await cluster.start();
  return cluster;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
