// The HTTP API's tests, test/api/*.test.ts, in one process (test/run.sh runs this file instead of
// each of them). One of them alone: bash test/run.sh test/api/runs.test.ts
import { importTestFiles } from "./helpers/test-files.js";

await importTestFiles("api");
