import type { ZodType } from "zod";
import type { WorkflowDefinition } from "../core/definition.js";
import { stepFingerprints, workflowFingerprint } from "../core/fingerprint.js";
import { successorsOf, topologicalOrder } from "../core/graph.js";
import type { Json, WorkflowRecord } from "../core/types.js";

/** A definition with what the engine derives from it once: fingerprints, successors, order, sinks. */
export interface LoadedWorkflow {
  readonly definition: WorkflowDefinition;
  readonly fingerprints: ReadonlyMap<string, string>;
  readonly fingerprint: string;
  readonly successors: ReadonlyMap<string, readonly string[]>;
  readonly order: readonly string[];
  readonly sinks: readonly string[];
  readonly steps: ReadonlyMap<string, WorkflowDefinition["steps"][number]>;
  /** The stored version this definition is (a workflow stored as data); null for a registered one. */
  readonly version: string | null;
}

export function loadWorkflow(definition: WorkflowDefinition, version: string | null = null): LoadedWorkflow {
  const order = topologicalOrder(definition.steps);
  const fingerprints = stepFingerprints(definition, order);
  const successors = successorsOf(definition.steps);
  return {
    definition,
    fingerprints,
    fingerprint: workflowFingerprint(fingerprints),
    successors,
    order,
    sinks: definition.steps.filter((s) => successors.get(s.id)?.length === 0).map((s) => s.id),
    steps: new Map(definition.steps.map((s) => [s.id, s])),
    version,
  };
}

/** The stored form of a workflow: its graph and policies, enough to draw it and to recover its runs. */
export async function toWorkflowRecord(workflow: LoadedWorkflow, now: number): Promise<WorkflowRecord> {
  const d = workflow.definition;
  const graph = {
    steps: d.steps.map((s) => ({
      id: s.id,
      needs: [...s.needs],
      label: s.label,
      effects: s.effects,
      timeoutMs: s.timeoutMs,
      retry: { attempts: s.retry.attempts, ...s.retry.backoff },
      outputs: [...s.outputs],
      ...(s.action ? { action: `${s.action.name}@${s.action.version}` } : {}),
    })),
    failFast: d.failFast,
    recovery: d.recovery,
    maxRecoveries: d.maxRecoveries,
    secrets: [...d.secrets],
    hasInputSchema: d.inputSchema !== null,
    inputSchema: await inputJsonSchema(d),
  };
  return {
    id: d.id,
    fingerprint: workflow.fingerprint,
    graph: graph as unknown as Json,
    source: d.sourceFile,
    updatedAt: now,
  };
}

/** The policies recovery needs, read from a stored workflow record (no code needed). */
export interface StoredPolicy {
  recovery: "auto" | "manual";
  maxRecoveries: number;
  effects: Map<string, "idempotent" | "non-idempotent">;
  timeouts: Map<string, number | null>;
}

export function storedPolicy(record: WorkflowRecord | undefined): StoredPolicy {
  const graph = (record?.graph ?? {}) as {
    recovery?: "auto" | "manual";
    maxRecoveries?: number;
    steps?: Array<{ id: string; effects: "idempotent" | "non-idempotent"; timeoutMs: number | null }>;
  };
  return {
    recovery: graph.recovery ?? "auto",
    maxRecoveries: graph.maxRecoveries ?? 3,
    effects: new Map((graph.steps ?? []).map((s) => [s.id, s.effects])),
    timeouts: new Map((graph.steps ?? []).map((s) => [s.id, s.timeoutMs])),
  };
}

/** The input schema as JSON Schema, for clients (the UI's start form); null when it cannot be expressed. */
async function inputJsonSchema(definition: WorkflowDefinition): Promise<Json> {
  const schema = definition.inputSchema as unknown;
  if (!schema || typeof schema !== "object" || !("_zod" in schema)) return null;
  // Loaded only for a workflow that has a zod schema (its module has loaded zod already).
  const { z } = await import("zod");
  try {
    return JSON.parse(JSON.stringify(z.toJSONSchema(schema as ZodType))) as Json;
  } catch {
    return null;
  }
}
