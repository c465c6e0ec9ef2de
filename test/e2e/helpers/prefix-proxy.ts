import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A tiny reverse proxy that mounts an upstream under a path prefix, as nginx's
 * `location /cairn/ { proxy_pass http://upstream/; }` does: `/cairn/x` goes to `/x` upstream,
 * responses (SSE streams included) are piped back unchanged, `/cairn` redirects to `/cairn/`, and
 * anything outside the prefix is a 404 (so a request the UI makes to an absolute path shows up).
 */
export async function startPrefixProxy(
  upstream: string,
  prefix: string,
): Promise<{ url: string; outside: string[]; close(): Promise<void> }> {
  const target = new URL(upstream);
  const outside: string[] = [];
  const server = http.createServer((req, res) => {
    const url = req.url ?? "/";
    if (url === prefix) return void res.writeHead(301, { Location: `${prefix}/` }).end();
    if (!url.startsWith(`${prefix}/`)) {
      outside.push(url);
      return void res.writeHead(404).end("outside the prefix");
    }
    const forward = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: url.slice(prefix.length),
        headers: { ...req.headers, host: target.host },
      },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    forward.on("error", () => res.writeHead(502).end());
    req.pipe(forward);
    res.on("close", () => forward.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${prefix}`,
    outside,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
