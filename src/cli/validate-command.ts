import type { Command } from "commander";
import type { WorkflowDefinition } from "../core/definition.js";
import { topologicalOrder } from "../core/graph.js";
import { loadWorkflowFile } from "../loader/load-workflow-file.js";
import { EXIT, type GlobalOptions, printJson } from "./common.js";

/**
 * The steps as a graph in text: one line per step in execution order, its level (1 = starts at once;
 * steps on one level may run in parallel) and what it waits for.
 *
 *     nightly: 3 steps
 *       1  extract
 *       2  load       ← extract
 */
export function graphText(definition: WorkflowDefinition): string {
  const level = new Map<string, number>();
  const byId = new Map(definition.steps.map((s) => [s.id, s]));
  const order = topologicalOrder(definition.steps);
  for (const id of order)
    level.set(id, 1 + Math.max(0, ...byId.get(id)!.needs.map((n) => level.get(n) ?? 0)));
  const width = Math.max(...order.map((id) => id.length));
  const lines = order.map((id) => {
    const step = byId.get(id)!;
    const needs = step.needs.length ? `  ← ${step.needs.join(", ")}` : "";
    return `  ${String(level.get(id)).padStart(2)}  ${needs ? id.padEnd(width) : id}${needs}`.trimEnd();
  });
  const count = definition.steps.length;
  return [`${definition.id}: ${count} step${count === 1 ? "" : "s"}`, ...lines].join("\n");
}

/** `cairn validate <file>`: load and check a workflow file without a store; print its steps as a graph. */
export function registerValidateCommand(program: Command, report: (error: unknown) => number): void {
  program
    .command("validate")
    .description("check a workflow file (no store needed) and print its steps as a graph")
    .argument("<file>", "workflow file: .yaml, .ts or .js (file.ts#export to pick one)")
    .action(async (file: string, _opts, command: Command) => {
      const global = command.optsWithGlobals() as GlobalOptions;
      try {
        const definitions = await loadWorkflowFile(file);
        if (global.json)
          printJson(
            definitions.map((d) => ({ id: d.id, steps: d.steps.map((s) => ({ id: s.id, needs: s.needs })) })),
          );
        else process.stdout.write(`${definitions.map(graphText).join("\n\n")}\n`);
        process.exitCode = EXIT.ok;
      } catch (error) {
        process.exitCode = report(error);
      }
    });
}
