/**
 * The workflows behind docs/*.png (see scripts/ui-screenshots.ts), as YAML files by name: each one
 * shows one part of the UI with plausible names and errors.
 */

/** Fails at one of two parallel branches: the run page with a failed step, resumed once. */
const NIGHTLY_REPORT = `id: nightly-report
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

/** A chain of 120 steps, partition-001 → … → partition-120, named "Partition n": a big graph. */
const PARTITIONS = [
  "id: partitions",
  "steps:",
  ...Array.from({ length: 120 }, (_, i) => {
    const id = (n: number) => `partition-${String(n).padStart(3, "0")}`;
    const needs = i === 0 ? "" : `\n    needs: [${id(i)}]`;
    return `  - id: ${id(i + 1)}\n    label: Partition ${i + 1}${needs}\n    run: "true"`;
  }),
  "",
].join("\n");

/** A map over 30 pages of which page-07, page-19 and page-23 fail: the item grid. */
const CRAWL_PAGES = `id: crawl-pages
steps:
  - id: list-pages
    label: List pages
    run: |
      node -e 'console.log(JSON.stringify(Array.from({ length: 30 }, (_, i) => ({ page: "page-" + String(i + 1).padStart(2, "0") }))))' > "$CAIRN_OUTPUT"
  - id: fetch
    label: Fetch pages
    map: { items: list-pages, key: page, concurrency: 4 }
    run: |
      echo "GET https://docs.example.com/$CAIRN_ITEM_KEY"
      case "$CAIRN_ITEM_KEY" in
        page-07|page-19|page-23) echo "GET https://docs.example.com/$CAIRN_ITEM_KEY: 503 Service Unavailable" >&2; exit 1 ;;
      esac
      echo "{\\"page\\": \\"$CAIRN_ITEM_KEY\\", \\"bytes\\": 18204}" > "$CAIRN_OUTPUT"
  - id: build-index
    label: Build search index
    needs: [fetch]
    run: echo "indexed"
`;

/** Five steps that succeed: a rerun from two picked nodes keeps one, reruns the rest. */
const DAILY_SALES = `id: daily-sales
steps:
  - id: load-orders
    label: Load orders
    run: |
      echo '{"rows": 1284}' > "$CAIRN_OUTPUT"
  - id: load-refunds
    label: Load refunds
    needs: []
    run: |
      echo '{"rows": 37}' > "$CAIRN_OUTPUT"
  - id: net-sales
    label: Net sales
    needs: [load-orders, load-refunds]
    run: |
      echo '{"total": 182340.5}' > "$CAIRN_OUTPUT"
  - id: by-region
    label: Sales by region
    needs: [net-sales]
    run: |
      echo '{"regions": 6}' > "$CAIRN_OUTPUT"
  - id: dashboard
    label: Refresh dashboard
    needs: [by-region]
    run: echo refreshed
`;

/** Starts daily-sales as a child run: a caller and its child in the runs list. */
const MONTH_END = `id: month-end
steps:
  - id: sales
    label: Daily sales
    run-workflow: daily-sales
  - id: close-books
    label: Close the books
    needs: [sales]
    run: echo closed
`;

/** Waits for an approval: a run waiting for a signal. */
const RELEASE = `id: release
steps:
  - id: build
    label: Build
    run: echo "built v2.14.0"
  - id: approve
    label: Approve release
    needs: [build]
    wait:
      signal: approval
      schema:
        type: object
        properties:
          approved: { type: boolean }
          comment: { type: string, title: Comment }
        required: [approved]
  - id: deploy
    label: Deploy
    needs: [approve]
    run: echo deployed
`;

/** Sleeps for two hours between two steps: a sleeping run. */
const BACKFILL = `id: backfill
steps:
  - id: first-batch
    label: First batch
    run: echo "batch 1 of 2"
  - id: cool-off
    label: Cool off
    needs: [first-batch]
    sleep: 2h
  - id: second-batch
    label: Second batch
    needs: [cool-off]
    run: echo "batch 2 of 2"
`;

/** A long step, cancelled while it runs. */
const REINDEX = `id: reindex
steps:
  - id: snapshot
    label: Snapshot
    run: echo snapshot
  - id: rebuild
    label: Rebuild index
    needs: [snapshot]
    run: sleep 300
`;

export const WORKFLOWS: Readonly<Record<string, string>> = {
  "nightly-report": NIGHTLY_REPORT,
  partitions: PARTITIONS,
  "crawl-pages": CRAWL_PAGES,
  "daily-sales": DAILY_SALES,
  "month-end": MONTH_END,
  release: RELEASE,
  backfill: BACKFILL,
  reindex: REINDEX,
};
