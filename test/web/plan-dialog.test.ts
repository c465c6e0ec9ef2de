import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { ResumePlan } from "../../web/src/api/types.js";
import { all, byTestId, isDisabled, one, parse, text } from "./helpers/markup.js";
import { renderStatic, webModule } from "./helpers/web-module.js";

// The resume dialog as a user sees it, rendered from the same component the app uses.
const { PlanDialog } = await webModule<{ PlanDialog: unknown }>("run/plan-dialog.tsx");

const SUMMARY_ZERO = { keep: 0, retry: 0, reset: 0, run: 0, rerun: 0, blocked: 0, "mark-done": 0 };

function plan(over: Partial<ResumePlan> = {}): ResumePlan {
  const steps: ResumePlan["steps"] = over.steps ?? [
    {
      stepId: "prepare",
      status: "succeeded",
      action: "keep",
      why: "succeeded; its recorded output is returned",
      cause: null,
      fromRunId: null,
    },
    {
      stepId: "flaky",
      status: "failed",
      action: "retry",
      why: "failed: connection refused",
      cause: "failed",
      fromRunId: null,
    },
    {
      stepId: "publish",
      status: "pending",
      action: "run",
      why: "had not run yet",
      cause: null,
      fromRunId: null,
    },
  ];
  const summary = { ...SUMMARY_ZERO };
  for (const s of steps) summary[s.action]++;
  return { steps, changed: [], unknown: [], refusal: null, summary, secretsNeeded: [], ...over };
}

async function render(props: Record<string, unknown>) {
  const html = await renderStatic(PlanDialog, {
    runId: "run_1",
    plan: plan(),
    loading: false,
    error: null,
    onChange: "error",
    onChangeChoice: () => undefined,
    secrets: {},
    onSecret: () => undefined,
    labels: new Map([["flaky", "Call flaky service"]]),
    busy: false,
    onConfirm: () => undefined,
    onClose: () => undefined,
    ...props,
  });
  const root = parse(html);
  const confirm = one(root, (el) => el.attrs["data-testid"] === "confirm-resume", "confirm button");
  return { root, confirm };
}

function rows(root: ReturnType<typeof parse>) {
  return byTestId(root, "plan-row").map((r) => ({
    step: r.attrs["data-step-id"],
    action: r.attrs["data-action"],
    cells: all(r, (el) => (el.attrs.class ?? "").split(" ").includes("plan-cell")).map(text),
  }));
}

describe("resume plan dialog", () => {
  test("lists every step with its action and why; the failed one is retry, completed ones keep", async () => {
    const { root, confirm } = await render({});
    assert.deepEqual(rows(root), [
      {
        step: "prepare",
        action: "keep",
        cells: ["prepare", "keep", "because succeeded; its recorded output is returned"],
      },
      {
        step: "flaky",
        action: "retry",
        cells: ["Call flaky service", "retry", "because failed: connection refused"],
      },
      { step: "publish", action: "run", cells: ["publish", "run", "because had not run yet"] },
    ]);
    assert.equal(text(byTestId(root, "plan-summary")[0]!), "1 keep1 retry1 run");
    assert.match(text(root), /2 steps will execute/);
    assert.equal(text(confirm), "Resume run");
    assert.equal(isDisabled(confirm), false);
    assert.equal(byTestId(root, "on-change").length, 0, "no onChange choices when nothing changed");
  });

  test("a changed definition offers the onChange choices and cannot be confirmed until one is made", async () => {
    const refusal = 'The definition changed since the run started for "prepare". Choose onChange "rerun" …';
    const { root, confirm } = await render({ plan: plan({ changed: ["prepare"], refusal }) });
    const radios = all(root, (el) => el.tag === "input" && el.attrs.type === "radio");
    assert.deepEqual(
      radios.map((r) => [r.attrs.value, "checked" in r.attrs]),
      [
        ["error", true],
        ["rerun", false],
        ["keep", false],
      ],
    );
    assert.match(
      text(byTestId(root, "on-change")[0]!),
      /definition changed since the run started for prepare/,
    );
    assert.equal(text(byTestId(root, "plan-refusal")[0]!), refusal);
    assert.equal(isDisabled(confirm), true);
  });

  test("after choosing rerun for changed steps the plan can be confirmed", async () => {
    const steps: ResumePlan["steps"] = [
      {
        stepId: "prepare",
        status: "succeeded",
        action: "rerun",
        why: "its definition changed since it ran",
        cause: "definition-changed",
        fromRunId: null,
      },
      {
        stepId: "flaky",
        status: "failed",
        action: "retry",
        why: "failed: boom",
        cause: "failed",
        fromRunId: null,
      },
    ];
    const { root, confirm } = await render({
      plan: plan({ steps, changed: ["prepare"] }),
      onChange: "rerun",
    });
    const checked = all(root, (el) => el.tag === "input" && "checked" in el.attrs);
    assert.deepEqual(
      checked.map((r) => r.attrs.value),
      ["rerun"],
    );
    assert.equal(rows(root)[0]!.action, "rerun");
    assert.equal(byTestId(root, "plan-refusal").length, 0);
    assert.equal(isDisabled(confirm), false);
  });

  test("while the resume request is in flight the confirm button is disabled and says Resuming…", async () => {
    const { confirm } = await render({ busy: true });
    assert.equal(text(confirm), "Resuming…");
    assert.equal(isDisabled(confirm), true);
  });

  test("a run with secrets asks for them and is not confirmable until each one is given", async () => {
    const withSecrets = plan({ secretsNeeded: ["API_KEY"] });
    const empty = await render({ plan: withSecrets });
    assert.equal(all(empty.root, (el) => el.tag === "input" && el.attrs.type === "password").length, 1);
    assert.equal(isDisabled(empty.confirm), true);
    const given = await render({ plan: withSecrets, secrets: { API_KEY: "s3cret" } });
    assert.equal(isDisabled(given.confirm), false);
  });

  test("while the plan loads, and when it cannot be computed, nothing can be confirmed", async () => {
    const loading = await render({ plan: null, loading: true });
    assert.match(text(loading.root), /Computing the resume plan/);
    assert.equal(isDisabled(loading.confirm), true);
    const failed = await render({
      plan: null,
      error: 'Run "run_1" already succeeded, so there is nothing to resume.',
    });
    const alert = one(failed.root, (el) => el.attrs.role === "alert", "alert");
    assert.match(text(alert), /already succeeded/);
    assert.equal(isDisabled(failed.confirm), true);
  });
});

describe("rerun plan dialog", () => {
  test("the same plan table for a rerun: its own title and words, and a refused plan cannot be started", async () => {
    const refusal = 'Cannot rerun from "left": step "right" would be reused but has no recorded output.';
    const html = await renderStatic(PlanDialog, {
      kind: "rerun",
      title: "Rerun from left of run run_1?",
      runId: "run_1",
      plan: plan({ refusal }),
      loading: false,
      error: null,
      onChange: "error",
      onChangeChoice: () => undefined,
      secrets: {},
      onSecret: () => undefined,
      labels: new Map(),
      busy: false,
      onConfirm: () => undefined,
      onClose: () => undefined,
    });
    const root = parse(html);
    assert.equal(byTestId(root, "plan-dialog").length, 0);
    const dialog = byTestId(root, "rerun-plan-dialog")[0]!;
    assert.match(text(dialog), /Rerun from left of run run_1\?/);
    assert.match(text(dialog), /A new run executes 2 steps\./);
    assert.equal(text(byTestId(root, "plan-refusal")[0]!), refusal);
    const confirm = one(root, (el) => el.attrs["data-testid"] === "confirm-rerun", "confirm button");
    assert.equal(text(confirm), "Start the rerun");
    assert.equal(isDisabled(confirm), true);
  });
});
