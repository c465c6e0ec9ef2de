// The web UI's tests without a browser, test/web/*.test.ts, in one process (test/run.sh runs this
// file instead of each of them). One of them alone: bash test/run.sh test/web/plan-dialog.test.ts
import { importTestFiles } from "./helpers/test-files.js";

await importTestFiles("web");
