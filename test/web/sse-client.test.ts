import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, describe, test } from "node:test";
import type { CairnEvent } from "../../web/src/api/types.js";
import { webModule } from "./helpers/web-module.js";

// The UI's SSE client runs on fetch + ReadableStream, which Node has too: drive it against a real
// HTTP server that drops the connection, and check what it sends when it reconnects.
const { ApiClient } = await webModule<{
  ApiClient: new (o: { token: string; onUnauthorized: () => void; baseUrl?: string }) => unknown;
}>("api/client.ts");
const { openEventStream } = await webModule<{
  openEventStream: (
    client: unknown,
    o: { path: string; onEvents: (e: CairnEvent[]) => void; onState?: (s: string) => void },
  ) => () => void;
}>("api/sse.ts");

function event(seq: number): CairnEvent {
  return { seq, runId: "run_1", stepId: null, type: "step.started", at: 1000 + seq, data: null };
}

describe("event stream client", () => {
  const requests: Array<{ url: string; auth: string | undefined; lastEventId: string | undefined }> = [];
  const server = http.createServer((req, res) => {
    requests.push({
      url: req.url ?? "",
      auth: req.headers.authorization,
      lastEventId: req.headers["last-event-id"] as string | undefined,
    });
    if (req.headers.authorization !== "Bearer good-token") {
      res.writeHead(401, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ error: { code: "UNAUTHORIZED", message: "bad token", details: null } }));
      return;
    }
    res.writeHead(200, { "Content-Type": "text/event-stream" });
    if (req.url === "/api/events/ragged") {
      void ragged(res);
      return;
    }
    const after = Number(req.headers["last-event-id"] ?? 0);
    // First connection: events 1 and 2 then the connection drops. Later: the rest, kept open.
    const seqs = after === 0 ? [1, 2] : [after + 1, after + 2];
    res.write(": connected\n\n");
    for (const seq of seqs) res.write(`id: ${seq}\ndata: ${JSON.stringify(event(seq))}\n\n`);
    if (after === 0) res.end();
  });
  // Messages split mid-line across writes, CRLF and CR line ends, keep-alive comments, a message
  // without data (not delivered) and one whose JSON spans two `data:` lines (joined with "\n").
  async function ragged(res: http.ServerResponse) {
    const [one, two, three] = [1, 2, 3].map((seq) => JSON.stringify(event(seq)));
    const chunks = [
      ": connected\n\nid: 1\nda",
      `ta: ${one}\r`,
      "\n\r\nid: 9\r\r: keep-alive\n\n",
      `id: 2\rdata: ${two!.slice(0, 9)}\rdata: ${two!.slice(9)}\r\r`,
      `data: ${three}\n\n`,
    ];
    for (const chunk of chunks) {
      res.write(chunk);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  const listening = new Promise<string>((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  test("reconnects after a drop with Last-Event-ID and misses or repeats nothing; the token goes in a header only", async () => {
    const base = await listening;
    const client = new ApiClient({
      token: "good-token",
      onUnauthorized: () => assert.fail("not a 401"),
      baseUrl: base,
    });
    const received: number[] = [];
    let close: () => void = () => undefined;
    await new Promise<void>((resolve) => {
      close = openEventStream(client, {
        path: "/api/runs/run_1/events",
        onEvents: (events) => {
          received.push(...events.map((e) => e.seq));
          if (received.length >= 4) resolve();
        },
      });
    });
    close();
    assert.deepEqual(received, [1, 2, 3, 4]);
    assert.deepEqual(
      requests.map((r) => [r.url, r.auth, r.lastEventId]),
      [
        ["/api/runs/run_1/events", "Bearer good-token", undefined],
        ["/api/runs/run_1/events", "Bearer good-token", "2"],
      ],
    );
    assert.ok(requests.every((r) => !r.url.includes("good-token")));
  });

  test("messages split across chunks, CRLF and CR line ends, comments and multi-line data arrive whole", {
    timeout: 10_000,
  }, async () => {
    const base = await listening;
    const client = new ApiClient({ token: "good-token", onUnauthorized: () => assert.fail(), baseUrl: base });
    const received: CairnEvent[] = [];
    let close: () => void = () => undefined;
    await new Promise<void>((resolve) => {
      close = openEventStream(client, {
        path: "/api/events/ragged",
        onEvents: (events) => {
          received.push(...events);
          if (received.length >= 3) resolve();
        },
      });
    });
    close();
    assert.deepEqual(received, [event(1), event(2), event(3)]);
  });

  test("a 401 calls onUnauthorized and stops instead of retrying", async () => {
    const base = await listening;
    requests.length = 0;
    let unauthorized = 0;
    const client = new ApiClient({ token: "revoked", onUnauthorized: () => unauthorized++, baseUrl: base });
    const states: string[] = [];
    await new Promise<void>((resolve) => {
      openEventStream(client, {
        path: "/api/events",
        onEvents: () => assert.fail("no events with a bad token"),
        onState: (s) => {
          states.push(s);
          if (s === "closed") resolve();
        },
      });
    });
    assert.deepEqual(states, ["connecting", "closed"], "never reconnecting");
    assert.equal(unauthorized, 1);
    assert.equal(requests.length, 1, "no retry after a 401");
  });
});
