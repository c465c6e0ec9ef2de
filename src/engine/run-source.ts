import fs from "node:fs";
import { CairnError } from "../core/errors.js";
import type { RunRecord, WorkflowRecord } from "../core/types.js";

const fileOf = (spec: string) => spec.split("#")[0]!;

/**
 * The file to load a workflow's definition from: the run's own source when there is a run (a run is
 * resumed, restarted and rerun with the file it was started from, even when another file with the
 * same workflow id was loaded since), else the file the workflow was last loaded from.
 */
export function definitionFile(
  workflowId: string,
  run: Pick<RunRecord, "source"> | null,
  record: WorkflowRecord | undefined,
): string {
  const source = run?.source ?? record?.source ?? null;
  if (!source)
    throw new CairnError(
      "NOT_FOUND",
      record
        ? `Workflow "${workflowId}" was registered by another process and has no source file to load it from; load the workflow from its file.`
        : `Workflow "${workflowId}" is not registered.`,
    );
  if (!fs.existsSync(fileOf(source))) {
    const other = record?.source && record.source !== source ? record.source : null;
    throw new CairnError(
      "NOT_FOUND",
      `Workflow "${workflowId}" was loaded from ${source}, which no longer exists; load the workflow from its new location${other ? ` (${other} now defines a workflow with this id)` : ""}.`,
    );
  }
  return source;
}
