// Store examples/graph.json as a workflow over the HTTP API, start a run of it and wait for its end:
// what a visual builder does with the graphs its users draw. No file reaches the server but the JSON.
// Run it:     npx cairn serve --no-auth --port 3000    (in another terminal)
//             node examples/programs/graph-over-api.mjs Ada
// CAIRN_URL (default http://127.0.0.1:3000) and CAIRN_TOKEN (for a server with tokens) are read.
import fs from "node:fs";

const url = process.env.CAIRN_URL ?? "http://127.0.0.1:3000";
const headers = process.env.CAIRN_TOKEN ? { authorization: `Bearer ${process.env.CAIRN_TOKEN}` } : {};

async function api(method, route, body, contentType = "application/json") {
  const res = await fetch(`${url}${route}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { "content-type": contentType }) },
    body,
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${json.error?.message ?? ""}`);
  return json;
}

const graph = fs.readFileSync(new URL("../graph.json", import.meta.url), "utf8");
const { version } = await api("PUT", "/api/workflows/greeting-card", graph);
console.log(`stored greeting-card version ${version}`);
const input = { name: process.argv[2] ?? "Ada" };
const { id } = await api("POST", "/api/workflows/greeting-card/runs", JSON.stringify({ input }));
console.log(`started run ${id}`);
let run = await api("GET", `/api/runs/${id}`);
while (!["succeeded", "failed", "cancelled"].includes(run.status)) {
  await new Promise((resolve) => setTimeout(resolve, 200));
  run = await api("GET", `/api/runs/${id}`);
}
console.log(`run ${id} ${run.status} on version ${run.workflowVersion}: ${JSON.stringify(run.output)}`);
process.exitCode = run.status === "succeeded" ? 0 : 1;
