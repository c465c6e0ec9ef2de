import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { UiSession } from "../helpers/browser.js";
import { graphNode, nodeStatus, openRun, runStatus, toast } from "../helpers/ui.js";

// A run waiting for a person: the run page says what it waits for, and the step's panel answers it
// with a form built from the wait's JSON Schema (Approve / Reject for its yes-or-no field). A
// sleeping run says when it wakes.

export function signalForm(ui: UiSession): void {
  describe("web UI: answering a signal", { timeout: 120_000 }, () => {
    before(() => ui.fresh());

    test("the wait is shown; the schema's form is refused with the server's reason, then approves", async () => {
      const { page } = ui.browser;
      const runId = await ui.server.startRun("ui-approve");
      await openRun(page, ui.server.url, runId);
      const waiting = page.locator('[data-testid="waiting-step"][data-step-id="approve"]');
      await waiting.waitFor();
      assert.match(await waiting.innerText(), /waiting for signal "approval"/);
      // Parked, not running: the node says so, and the timeline draws the wait as a wait.
      assert.match(await nodeStatus(page, "approve", "waiting"), /waiting/);
      await page
        .locator(
          '[data-testid="timeline-row"][data-step-id="approve"] [data-testid="timeline-bar"][data-outcome="waiting"]',
        )
        .waitFor();
      assert.match(
        await page
          .locator('[data-testid="timeline-row"][data-step-id="approve"]')
          .getByTestId("timeline-elapsed")
          .innerText(),
        /^waiting \d/,
      );

      await waiting.getByRole("button", { name: "approve" }).click();
      const form = page.getByTestId("signal-form");
      await form.waitFor();
      // One field per property but the yes-or-no one, which the two buttons answer.
      assert.deepEqual(await form.locator("label").allInnerTexts(), ["Comment", "reviewer (optional)"]);
      await form.getByLabel("Comment").fill("ok");
      await form.getByLabel("reviewer (optional)").selectOption("ada");
      await form.getByRole("button", { name: "Approve" }).click();
      const refusal = form.getByRole("alert");
      await refusal.waitFor();
      assert.match(await refusal.innerText(), /comment/i, "the server's reason names the field");
      assert.equal(ui.server.executed(runId).includes("publish"), false, "nothing was delivered");

      await form.getByLabel("Comment").fill("looks good");
      await form.getByRole("button", { name: "Approve" }).click();
      await toast(page, "success", /Signal "approval" sent: step approve continues/);
      await runStatus(page, "succeeded");
      await page.getByTestId("wait-banner").waitFor({ state: "detached" });
      assert.deepEqual(ui.server.executed(runId), ["draft", "publish"]);
      const { body } = await ui.server.api<{ output: unknown }>("GET", `/api/runs/${runId}/steps/approve`);
      assert.deepEqual(body.output, { approved: true, comment: "looks good", reviewer: "ada" });
      await graphNode(page, "approve").waitFor();
    });

    test("a sleeping step says when it wakes, as the page writes times; the sleep is no active time", async () => {
      const { page } = ui.browser;
      const runId = await ui.server.startRun("ui-sleep");
      await openRun(page, ui.server.url, runId);
      const sleeping = page.locator('[data-testid="waiting-step"][data-step-id="cool-off"]');
      await sleeping.waitFor();
      const { body } = await ui.server.api<{
        steps: Array<{ id: string; waiting: { until: number } | null }>;
      }>("GET", `/api/runs/${runId}`);
      const until = new Date(body.steps.find((s) => s.id === "cool-off")!.waiting!.until);
      const pad = (n: number) => String(n).padStart(2, "0");
      const local = `${until.getFullYear()}-${pad(until.getMonth() + 1)}-${pad(until.getDate())} ${pad(until.getHours())}:${pad(until.getMinutes())}:${pad(until.getSeconds())}`;
      assert.equal(await sleeping.innerText(), `cool-off: sleeping until ${local}`);
      assert.match(await nodeStatus(page, "cool-off", "waiting"), /waiting/);
      await page
        .locator('[data-testid="timeline-row"][data-step-id="cool-off"]')
        .getByTestId("timeline-elapsed")
        .filter({ hasText: /^waiting [2-9]/ })
        .waitFor();
      const active = Number(await page.getByTestId("run-active").getAttribute("data-ms"));
      assert.ok(active < 2_000, `active ${active} ms: the sleep (2 s so far) is not counted`);
    });

    test("Reject sends false; a read-only token sees the form with its buttons disabled", async () => {
      const { page } = ui.browser;
      const runId = await ui.server.startRun("ui-approve");
      await openRun(page, ui.server.url, runId);
      await page.locator('[data-testid="waiting-step"][data-step-id="approve"]').getByRole("button").click();
      const form = page.getByTestId("signal-form");
      await form.getByLabel("Comment").fill("not this week");
      await form.getByRole("button", { name: "Reject" }).click();
      await runStatus(page, "succeeded");
      const { body } = await ui.server.api<{ output: unknown }>("GET", `/api/runs/${runId}/steps/approve`);
      assert.deepEqual(body.output, { approved: false, comment: "not this week" });

      const second = await ui.server.startRun("ui-approve");
      const reader = await ui.server.readOnlyToken();
      // The token lives in the tab's sessionStorage (web/src/api/token-store.ts).
      await page.evaluate(`sessionStorage.setItem("cairn.token", ${JSON.stringify(reader)})`);
      await page.goto("about:blank"); // a fresh load, which asks who this token is
      await openRun(page, ui.server.url, second);
      await page.locator('[data-testid="waiting-step"][data-step-id="approve"]').getByRole("button").click();
      const readOnlyForm = page.getByTestId("signal-form");
      await readOnlyForm.getByText(/Your token is read-only/).waitFor();
      assert.equal(await readOnlyForm.getByRole("button", { name: "Approve" }).isDisabled(), true);
    });
  });
}
