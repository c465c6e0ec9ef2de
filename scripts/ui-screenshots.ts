/**
 * Regenerates the web UI's screenshots in docs/ with the real UI in Debian's Chromium: `cairn serve`
 * from bin/cairn.js on a temp store. docs/run-detail.png: a failed run resumed once (and failed
 * again), its page with the failed step's panel open. docs/big-graph.png: the graph of a 120-step
 * chain searched for "partition 4".
 *
 *   npm run build && node --import tsx scripts/ui-screenshots.ts
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { launchBrowser, signIn } from "../test/e2e/helpers/browser.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = path.join(ROOT, "bin/cairn.js");

const WORKFLOW = `id: nightly-report
steps:
  - id: fetch-orders
    label: Fetch orders
    run: |
      echo '{"orders": 1284}' > "$CAIRN_OUTPUT"
  - id: convert-currency
    label: Convert currency
    needs: [fetch-orders]
    run: |
      echo "fetching rates from rates.example.com"
      echo "rates.example.com: 503 Service Unavailable (retry in 60s)" >&2
      exit 1
  - id: enrich-customers
    label: Enrich customers
    needs: [fetch-orders]
    run: sleep 0.4; echo "enriched 1284 orders"
  - id: build-report
    label: Build report
    needs: [convert-currency, enrich-customers]
    run: echo built
  - id: publish
    label: Publish to S3
    needs: [build-report]
    run: echo published
`;

/** A chain of 120 steps, partition-001 → … → partition-120, named "Partition n". */
const BIG_WORKFLOW = [
  "id: partitions",
  "steps:",
  ...Array.from({ length: 120 }, (_, i) => {
    const id = (n: number) => `partition-${String(n).padStart(3, "0")}`;
    const needs = i === 0 ? "" : `\n    needs: [${id(i)}]`;
    return `  - id: ${id(i + 1)}\n    label: Partition ${i + 1}${needs}\n    run: "true"`;
  }),
].join("\n");

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-shots-"));
  const db = path.join(dir, "cairn.db");
  fs.mkdirSync(path.join(dir, "workflows"));
  fs.writeFileSync(path.join(dir, "workflows/nightly-report.yaml"), WORKFLOW);
  fs.writeFileSync(path.join(dir, "workflows/partitions.yaml"), `${BIG_WORKFLOW}\n`);
  const token = execFileSync(process.execPath, [BIN, "--db", db, "token", "create", "--tenant", "default"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  }).trim();
  const server = spawn(
    process.execPath,
    [BIN, "--db", db, "serve", "--port", "0", "--workflows", "workflows"],
    {
      cwd: dir,
      stdio: ["ignore", "pipe", "ignore"],
    },
  );
  try {
    const url = await listening(server);
    const api = async <T>(method: string, apiPath: string, body?: unknown): Promise<T> => {
      const res = await fetch(`${url}${apiPath}`, {
        method,
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return (await res.json()) as T;
    };
    const settled = async (id: string) => {
      for (;;) {
        const run = await api<{ status: string }>("GET", `/api/runs/${id}`);
        if (run.status !== "running") return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    const { id } = await api<{ id: string }>("POST", "/api/workflows/nightly-report/runs", {
      input: { day: "2026-11-22" },
    });
    await settled(id);
    // Someone looks at it a few seconds later and resumes it: the wait shows as a gap.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    await api("POST", `/api/runs/${id}/resume`, {});
    await settled(id);

    const browser = await launchBrowser(url);
    try {
      const { page } = browser;
      await signIn(page, url, token);
      await page.goto(`${url}/#/runs/${id}?step=convert-currency`);
      await page.locator('[data-testid="run-page"][data-status="failed"]').waitFor();
      await page.getByTestId("log-count").waitFor();
      await page.getByTestId("timeline-gap").waitFor();
      const file = path.join(ROOT, "docs/run-detail.png");
      await page.screenshot({ path: file, fullPage: true });
      process.stdout.write(`Wrote ${path.relative(ROOT, file)}.\n`);

      const big = await api<{ id: string }>("POST", "/api/workflows/partitions/runs", { input: {} });
      await settled(big.id);
      await page.goto(`${url}/#/runs/${big.id}`);
      await page.locator('[data-testid="run-page"][data-status="succeeded"]').waitFor();
      await page.getByTestId("graph-search").fill("partition 4");
      await page.getByTestId("graph-search").press("Enter");
      await page
        .locator('[data-testid="graph-node"][data-step-id="partition-040"][data-found="current"]')
        .waitFor();
      await new Promise((resolve) => setTimeout(resolve, 400)); // the move to the match is animated
      const bigFile = path.join(ROOT, "docs/big-graph.png");
      await page.getByTestId("graph").screenshot({ path: bigFile });
      process.stdout.write(`Wrote ${path.relative(ROOT, bigFile)}.\n`);
    } finally {
      await browser.close();
    }
  } finally {
    server.kill("SIGTERM");
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function listening(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d) => {
      out += d;
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.once("exit", (code) => reject(new Error(`cairn serve exited (${code}) before listening`)));
  });
}

await main();
