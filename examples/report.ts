// The README's TypeScript workflow, as a file:   npx cairn run examples/report.ts --input '{"topic":"tides"}'
import { workflow } from "cairn-runs";
import { z } from "zod";

export default workflow("report", { input: z.object({ topic: z.string() }) })
  .step("fetch", async ({ input }) => ({ topic: input.topic, rows: 10 }))
  .step("summarise", { needs: ["fetch"], retry: { attempts: 3 } }, async ({ needs }) => needs.fetch.rows * 2);
