import { describe } from "node:test";
import { chromiumMissing, uiSession } from "./helpers/browser.js";
import { runsColumns } from "./runs-list/columns.js";
import { filters } from "./runs-list/filters.js";
import { largeStore } from "./runs-list/large-store.js";
import { pathPrefix } from "./runs-list/path-prefix.js";

// The runs list in a real headless Chromium against `cairn serve` (built: `npm run build` first).
// Each group in runs-list/ fills a store of its own, since each looks at the whole list.
const missing = chromiumMissing();

describe("web UI: the runs list", { skip: missing ?? false }, () => {
  const ui = uiSession();
  runsColumns(ui);
  largeStore();
  filters();
});
pathPrefix();
