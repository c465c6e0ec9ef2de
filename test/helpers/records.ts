import type { RunRecord } from "../../src/core/types.js";

/** A run record as the engine would insert it, for tests that write to a store directly. */
export function runRecord(id: string, overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    id,
    workflowId: "wf",
    tenant: "default",
    status: "running",
    input: { topic: "tides", n: [1, 2] },
    output: null,
    error: null,
    createdAt: 1_700_000_000_000,
    updatedAt: 1_700_000_000_000,
    finishedAt: null,
    origin: "start",
    parentRunId: null,
    rootRunId: id,
    attempt: 1,
    driverId: null,
    reason: null,
    workdir: "/tmp/cairn-conformance",
    secretNames: [],
    fingerprint: "fp",
    failFast: false,
    timeoutMs: null,
    deadlineAt: null,
    source: null,
    traceParent: null,
    callerRunId: null,
    callerStepId: null,
    workflowVersion: null,
    ...overrides,
  };
}
