import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Listening {
  /** `http://host:port`, with the port actually bound (useful with port 0). */
  readonly url: string;
  readonly port: number;
  /** Stop accepting connections and end open ones (SSE streams included). */
  close(): Promise<void>;
}

/** Bind any HTTP server to host:port; resolves once listening, rejects when the port cannot be bound. */
export function listenOn(server: Server, options: { host: string; port: number }): Promise<Listening> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      const { port } = server.address() as AddressInfo;
      const host = options.host.includes(":") ? `[${options.host}]` : options.host;
      resolve({
        url: `http://${host}:${port}`,
        port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
