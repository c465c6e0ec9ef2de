import type { StepRecord } from "../../core/types.js";
import { STEP_COLUMNS } from "../columns.js";
import { RUN_KEY } from "./statements.js";

/** How steps are laid out in the SQLite store (schema version 3) and read back as records. */

const STEP_KEYS = Object.keys(STEP_COLUMNS.columns) as Array<keyof StepRecord>;
/** The step fields stored in columns of their own (the run id is the run_key column). */
export const STORED_STEP_KEYS = STEP_KEYS.filter((k) => k !== "runId");
/** What a step produced: left out of reads that need statuses only (`{ outputs: false }`). */
const STEP_DATA: ReadonlySet<keyof StepRecord> = new Set(["output", "vars", "checkpoint"]);

/** A column list to read steps with, in raw (array) mode. */
export interface StepColumns {
  readonly keys: ReadonlyArray<keyof StepRecord>;
  /** Per position: whether the column holds JSON. */
  readonly json: readonly boolean[];
  /** The column names, comma-separated. */
  readonly list: string;
  readonly select: string;
}
const stepColumns = (keys: ReadonlyArray<keyof StepRecord>): StepColumns => ({
  keys,
  json: keys.map((k) => STEP_COLUMNS.json.has(k)),
  list: keys.map((k) => STEP_COLUMNS.columns[k]).join(", "),
  select: `SELECT ${keys.map((k) => STEP_COLUMNS.columns[k]).join(", ")} FROM steps`,
});
export const ALL_STEP_COLUMNS = stepColumns(STORED_STEP_KEYS);
export const STATUS_STEP_COLUMNS = stepColumns(STORED_STEP_KEYS.filter((k) => !STEP_DATA.has(k)));
export const INSERT_STEP = `INSERT INTO steps (run_key, pos, ${STORED_STEP_KEYS.map((k) => STEP_COLUMNS.columns[k]).join(", ")})
  VALUES (${RUN_KEY}, ?, ${STORED_STEP_KEYS.map(() => "?").join(", ")})`;
/** A step row with the id of its run, for reads across runs (fromRow maps it). */
export const STEP_ROW_WITH_RUN_ID =
  "SELECT r.id AS run_id, s.* FROM steps s JOIN runs r ON r.key = s.run_key";

/** A step of run `runId` read as an array of `columns`; columns not read come back null. */
export function stepFromArray(columns: StepColumns, row: readonly unknown[], runId: string): StepRecord {
  const record: Record<string, unknown> = {};
  for (const key of STEP_KEYS) record[key] = null;
  record.runId = runId;
  for (let i = 0; i < columns.keys.length; i++) {
    const raw = row[i];
    if (raw === null || raw === undefined) continue;
    record[columns.keys[i]!] = columns.json[i]
      ? JSON.parse(raw as string)
      : typeof raw === "bigint"
        ? Number(raw)
        : raw;
  }
  return record as unknown as StepRecord;
}
