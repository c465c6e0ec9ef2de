// The README's library snippet, as a program:   npx tsx examples/programs/report-library.ts
import { Cairn } from "cairn-runs";
import report from "../report.js";

const cairn = await Cairn.open({ db: ".cairn/cairn.db" }); // or { db: "postgres://…" }
const handle = await cairn.start(report, { topic: "tides" }, { runId: "report-2026-11-22" });
const run = await handle.result(); // succeeded | failed | cancelled | paused | interrupted
if (run.status === "failed") await (await cairn.resume(run.id)).result();
console.log(`${run.id} ${run.status}: ${JSON.stringify(run.output)}`);
await cairn.close();
