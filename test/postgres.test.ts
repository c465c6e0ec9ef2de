// The PostgreSQL tests, test/postgres/*.test.ts, in one process (test/run.sh runs this file instead
// of each of them). One of them alone: bash test/run.sh test/postgres/schema.test.ts
import { afterEach } from "node:test";
import { importTestFiles } from "./helpers/test-files.js";

// Several tests move into their temp directory (their runs' directories go there); the next test
// starts where a test file's first test would, not in a directory removed since.
const start = process.cwd();
afterEach(() => process.chdir(start));

await importTestFiles("postgres");
