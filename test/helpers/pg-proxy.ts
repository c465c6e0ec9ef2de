import net from "node:net";
import type { TestContext } from "node:test";

/**
 * What the proxy does to the next COMMIT it sees: cut the connection before the COMMIT reaches the
 * server or after the server answered it; or hold it (never sent; the client waits for an answer,
 * whatever happens to the server meanwhile) until `dropHeld()` cuts the client's connection.
 */
export type CommitFault = "drop-before-commit" | "drop-after-commit" | "hold-commit";

export interface PgProxy {
  /** The target URL with host and port replaced by the proxy's. */
  readonly url: string;
  /** Break the connection of the next COMMIT: before it reaches the server, or after the server answered. */
  failNextCommit(fault: CommitFault): void;
  /** Whether the armed fault has happened. */
  readonly faulted: boolean;
  /** Cut the client connection whose COMMIT is held ("hold-commit"). */
  dropHeld(): void;
  /** Cut every open connection, as a network failure or a server restart would. */
  cutAll(): void;
}

const COMMIT = Buffer.from("COMMIT\0");

/**
 * A TCP proxy in front of PostgreSQL that can cut connections at chosen moments, to test what the store
 * does when a connection is lost during COMMIT without restarting the shared server.
 */
export async function pgProxy(t: TestContext, targetUrl: string): Promise<PgProxy> {
  const target = new URL(targetUrl);
  const sockets = new Set<net.Socket>();
  let armed: CommitFault | null = null;
  let faulted = false;
  let held: net.Socket | null = null;
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    let commitSent = false;
    const cut = () => {
      if (held === client) return upstream.destroy();
      client.destroy();
      upstream.destroy();
    };
    client.on("data", (chunk) => {
      // A simple-protocol Query message ('Q') whose text is COMMIT.
      const at = chunk.indexOf(COMMIT);
      if (armed && at >= 5 && chunk[at - 5] === 0x51) {
        const fault = armed;
        armed = null;
        faulted = true;
        if (fault === "drop-before-commit") return cut();
        if (fault === "hold-commit") {
          held = client;
          return;
        }
        commitSent = true;
      }
      upstream.write(chunk);
    });
    upstream.on("data", (chunk) => {
      if (commitSent) return cut(); // the server committed; its answer never arrives
      client.write(chunk);
    });
    for (const socket of [client, upstream]) {
      socket.on("error", cut);
      socket.on("close", () => {
        sockets.delete(socket);
        cut();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  const url = new URL(targetUrl);
  url.hostname = "127.0.0.1";
  url.port = String((server.address() as net.AddressInfo).port);
  return {
    url: url.toString(),
    failNextCommit(fault) {
      armed = fault;
      faulted = false;
    },
    get faulted() {
      return faulted;
    },
    dropHeld() {
      const socket = held;
      held = null;
      socket?.destroy();
    },
    cutAll() {
      for (const s of sockets) s.destroy();
    },
  };
}
