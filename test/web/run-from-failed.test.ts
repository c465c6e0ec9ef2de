import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { runActions } from "../../src/core/run-actions.js";
import type { RunStatus, Step } from "../../web/src/api/types.js";
import { all, byTestId, type El, isDisabled, one, parse, text } from "./helpers/markup.js";
import { renderStatic, webModule } from "./helpers/web-module.js";

// The "Run from failed node" split button in each state, rendered from the app's component.
interface FailedNode {
  stepId: string;
  label: string | null;
  error: string;
}
const { RunFromFailedButton } = await webModule<{ RunFromFailedButton: unknown }>("run/run-from-failed.tsx");
const { failedNodes } = await webModule<{ failedNodes: (steps: Step[]) => FailedNode[] }>(
  "run/run-from-failed-model.ts",
);

function step(
  id: string,
  needs: string[],
  status: Step["status"],
  error?: string,
  label: string | null = null,
): Step {
  return {
    id,
    label,
    status,
    needs,
    attempts: status === "pending" ? 0 : 1,
    recoveries: 0,
    startedAt: null,
    finishedAt: null,
    durationMs: null,
    output: null,
    error: error ? { message: error } : null,
    provenance: null,
    waiting: null,
    items: null,
  };
}

// Listed by the API in an order that is not the graph's: the menu must not depend on it.
const STEPS = [
  step("zeta", ["root"], "failed", "zeta broke\n    at zeta.ts:1"),
  step("join", ["zeta", "alpha", "mid"], "pending"),
  step("mid", ["alpha"], "failed", "Command exited with code 3: mid failed\nmore"),
  step("alpha", ["root"], "failed", "alpha: quota exceeded", "Alpha branch"),
  step("root", [], "succeeded"),
];

async function render(status: RunStatus, failed: FailedNode[], extra: Record<string, unknown> = {}) {
  const html = await renderStatic(RunFromFailedButton, {
    // What the API sends with a run in this status (`actions.rerun`).
    rerunRefusal: runActions("run_1", status).rerun.reason,
    failed,
    busy: false,
    locked: false,
    onRerunFailed: () => undefined,
    onRerunFrom: () => undefined,
    onPick: () => undefined,
    defaultOpen: true,
    ...extra,
  });
  const root = parse(html);
  return {
    root,
    primary: one(root, (el) => el.attrs["data-testid"] === "rerun-failed", "primary button"),
    toggle: one(root, (el) => el.attrs["data-testid"] === "rerun-menu-toggle", "menu toggle"),
    menu: byTestId(root, "rerun-failed-item").map((el) => [el.attrs["data-step-id"], text(el)]),
    pick: byTestId(root, "rerun-pick").map(text),
    /** The reason shown when the primary part is not allowed (tooltip, tied by aria-describedby). */
    tooltip: tooltipOf(root),
  };
}

function tooltipOf(root: El): string | null {
  const tips = all(root, (el) => el.attrs.role === "tooltip");
  if (tips.length === 0) return null;
  const primary = one(root, (el) => el.attrs["data-testid"] === "rerun-failed", "primary button");
  assert.equal(primary.attrs["aria-describedby"], tips[0]!.attrs.id, "the reason is tied to the button");
  return text(tips[0]!);
}

describe("run from failed node split button", () => {
  test("failed nodes come in graph order (among ready steps the smaller id first) with their first error line", async () => {
    // root; then alpha and zeta are ready: alpha; that makes mid ready, and mid < zeta.
    assert.deepEqual(failedNodes(STEPS), [
      { stepId: "alpha", label: "Alpha branch", error: "alpha: quota exceeded" },
      { stepId: "mid", label: null, error: "Command exited with code 3: mid failed" },
      { stepId: "zeta", label: null, error: "zeta broke" },
    ]);
  });

  test("a failed run: primary reruns all failed nodes; the menu lists each failed node, then the picker", async () => {
    const r = await render("failed", failedNodes(STEPS));
    assert.equal(text(r.primary), "Rerun all failed nodes3");
    assert.equal(isDisabled(r.primary), false);
    assert.equal(r.tooltip, null);
    assert.equal(isDisabled(r.toggle), false);
    assert.equal(r.toggle.attrs["aria-expanded"], "true");
    assert.deepEqual(r.menu, [
      ["alpha", "Rerun from Alpha branchalpha: quota exceeded"],
      ["mid", "Rerun from midCommand exited with code 3: mid failed"],
      ["zeta", "Rerun from zetazeta broke"],
    ]);
    assert.deepEqual(r.pick, ["Rerun from selected nodes…"]);
  });

  test("a failed node whose rerun plan refuses it alone is shown disabled with the plan's reason", async () => {
    const refusal = 'Cannot rerun from "alpha": step "zeta" would be reused but has no recorded output.';
    const r = await render("failed", failedNodes(STEPS), { refusals: new Map([["alpha", refusal]]) });
    const items = byTestId(r.root, "rerun-failed-item");
    assert.deepEqual(
      items.map((el) => [el.attrs["data-step-id"], el.attrs["aria-disabled"] ?? null]),
      [
        ["alpha", "true"],
        ["mid", null],
        ["zeta", null],
      ],
    );
    assert.deepEqual(byTestId(r.root, "rerun-item-refusal").map(text), [`Not possible alone: ${refusal}`]);
  });

  test("a succeeded run: nothing failed to rerun, but any node can still be picked", async () => {
    const r = await render("succeeded", []);
    assert.equal(isDisabled(r.primary), true);
    assert.match(r.tooltip ?? "", /no failed nodes/);
    assert.equal(isDisabled(r.toggle), false);
    assert.deepEqual(r.menu, []);
    assert.deepEqual(r.pick, ["Rerun from selected nodes…"]);
  });

  test("a running or paused run cannot be rerun yet, and says why", async () => {
    for (const [status, why] of [
      ["running", /is running; rerun needs a finished run .*Wait for it, or cancel it first/],
      ["paused", /is paused; rerun needs a finished run .*Resume it, or cancel it first/],
    ] as const) {
      const r = await render(status, failedNodes(STEPS));
      assert.equal(isDisabled(r.primary), true, status);
      assert.match(r.tooltip ?? "", why);
      assert.equal(isDisabled(r.toggle), true, status);
      assert.equal(r.toggle.attrs["aria-expanded"], "false", `${status}: the menu stays closed`);
      assert.deepEqual(r.menu, []);
    }
  });

  test("while a rerun is in flight the button is disabled and says Rerunning…", async () => {
    const r = await render("failed", failedNodes(STEPS), { busy: true });
    assert.equal(text(r.primary), "Rerunning…");
    assert.ok("disabled" in r.primary.attrs);
    assert.equal(r.primary.attrs["aria-busy"], "true");
    assert.equal(isDisabled(r.toggle), true);
  });

  test("while another action is in flight both parts are disabled but keep their label", async () => {
    const r = await render("failed", failedNodes(STEPS), { locked: true });
    assert.equal(text(r.primary), "Rerun all failed nodes3");
    assert.ok("disabled" in r.primary.attrs);
    assert.equal(isDisabled(r.toggle), true);
  });
});
