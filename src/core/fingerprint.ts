import { hash } from "node:crypto";
import type { StepDefinition, WorkflowDefinition } from "./definition.js";
import { topologicalOrder } from "./graph.js";

/** 64 bits of SHA-256 in hex: plenty to tell two versions of one step apart, small to store. */
export function shortHash(text: string): string {
  // One-shot hash: a third of the cost of createHash().update().digest() for short texts.
  return hash("sha256", text, "hex").slice(0, 16);
}

/**
 * A fingerprint per step: its behaviour (handler source or YAML spec, and the name and version of
 * the action it calls), its retry/timeout/effects settings, its declared files, and its upstream
 * steps' fingerprints. A change anywhere upstream
 * therefore changes every fingerprint downstream of it.
 */
export function stepFingerprints(
  definition: WorkflowDefinition,
  order: readonly string[] = topologicalOrder(definition.steps),
): Map<string, string> {
  const byId = new Map(definition.steps.map((s) => [s.id, s]));
  const result = new Map<string, string>();
  for (const id of order) {
    const step = byId.get(id) as StepDefinition;
    const upstream = [...step.needs].sort().map((need) => `${need}=${result.get(need)}`);
    result.set(
      id,
      shortHash(
        JSON.stringify({
          source: step.source,
          retry: step.retry,
          timeoutMs: step.timeoutMs,
          effects: step.effects,
          outputs: step.outputs,
          upstream,
          // Only when there is one: the fingerprints of steps without an action stay what they were.
          ...(step.action ? { action: `${step.action.name}@${step.action.version}` } : {}),
        }),
      ),
    );
  }
  return result;
}

export function workflowFingerprint(fingerprints: Map<string, string>): string {
  return shortHash([...fingerprints].map(([id, fp]) => `${id}:${fp}`).join("\n"));
}
