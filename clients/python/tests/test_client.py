"""The Python client against a live `cairn serve` (python3 -m unittest discover -s clients/python/tests)."""

import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cairn_client import CairnApiError, CairnClient, parse_sse  # noqa: E402
from server import CairnServer  # noqa: E402


def types(events):
    return [e["type"] for e in list(events)]


class ClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = CairnServer()
        cls.cairn = CairnClient(cls.server.url, token=cls.server.token, timeout=20)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def wait_for_step(self, run_id, step_id, event_type="step.started"):
        for event in self.cairn.events(run_id):
            if event["type"] == event_type and event["stepId"] == step_id:
                return
        self.fail("the stream ended")

    def test_start_get_list_and_follow(self):
        run = self.cairn.start("py-quick", {"topic": "tides"})
        self.assertEqual(run["workflowId"], "py-quick")
        self.assertEqual(run["input"], {"topic": "tides"})
        events = list(self.cairn.follow(run["id"]))
        self.assertEqual(types(events)[0], "run.created")
        self.assertEqual(types(events)[-1], "run.succeeded")
        self.assertEqual([e["seq"] for e in events], sorted(e["seq"] for e in events))
        done = self.cairn.get(run["id"])
        self.assertEqual(done["status"], "succeeded")
        self.assertEqual([s["output"] for s in done["steps"]], [{"n": 1}, {"n": 2}])
        self.assertIn(run["id"], [r["id"] for r in self.cairn.list(workflow="py-quick")["runs"]])
        self.assertIn(run["id"], [r["id"] for r in self.cairn.iter_runs(status="succeeded")])
        # Idempotent start: the same run id returns the same run.
        again = self.cairn.start("py-quick", {"topic": "tides"}, run_id=run["id"])
        self.assertEqual(again["id"], run["id"])

    def test_latest_failed_plan_resume_rerun_restart(self):
        self.assertIsNone(self.cairn.latest_failed("py-quick"))
        run = self.cairn.start("py-flaky")
        self.assertEqual(types(self.cairn.follow(run["id"]))[-1], "run.failed")
        latest = self.cairn.latest_failed("py-flaky")
        self.assertEqual(latest["run"]["id"], run["id"])
        self.assertEqual([f["stepId"] for f in latest["failed"]], ["flaky"])

        plan = self.cairn.resume_plan(run["id"], retry_failed=True)
        actions = {s["stepId"]: s["action"] for s in plan["steps"]}
        self.assertEqual(actions["prepare"], "keep")
        self.assertNotEqual(actions["flaky"], "keep")
        self.assertEqual(self.cairn.get(run["id"])["status"], "failed", "a plan changes nothing")

        self.server.touch("fixed")
        resumed = self.cairn.resume(run["id"])
        self.assertEqual(resumed["run"]["id"], run["id"])
        self.assertEqual(types(self.cairn.follow(run["id"]))[-1], "run.succeeded")
        self.assertEqual(self.server.executed(run["id"]), ["prepare", "flaky", "flaky", "finish"])

        rerun = self.cairn.rerun(run["id"], from_steps=["finish"])
        self.assertNotEqual(rerun["id"], run["id"])
        self.assertEqual(types(self.cairn.follow(rerun["id"]))[-1], "run.succeeded")
        self.assertEqual(self.server.executed(rerun["id"]), ["finish"], "the rest was reused")

        restarted = self.cairn.restart(run["id"])
        self.assertEqual(types(self.cairn.follow(restarted["id"]))[-1], "run.succeeded")
        self.assertEqual(self.server.executed(restarted["id"]), ["prepare", "flaky", "finish"])
        with self.assertRaises(ValueError):
            self.cairn.rerun(run["id"])

    def test_cancel_and_pause(self):
        cancelled = self.cairn.start("py-slow")
        self.wait_for_step(cancelled["id"], "hold")
        self.assertEqual(self.cairn.cancel(cancelled["id"])["id"], cancelled["id"])
        self.assertEqual(types(self.cairn.follow(cancelled["id"]))[-1], "run.cancelled")

        paused = self.cairn.start("py-slow")
        self.wait_for_step(paused["id"], "hold")
        self.cairn.pause(paused["id"])
        self.server.touch("go")
        # Paused at once; the running step still finishes (its success is kept for the resume).
        seen = set()
        for event in self.cairn.events(paused["id"]):
            seen.add((event["type"], event["stepId"]))
            if {("run.paused", None), ("step.succeeded", "hold")} <= seen:
                break
        self.assertEqual(self.cairn.get(paused["id"])["status"], "paused")
        self.cairn.resume(paused["id"])
        self.assertEqual(types(self.cairn.follow(paused["id"]))[-1], "run.succeeded")
        self.assertEqual([s["status"] for s in self.cairn.get(paused["id"])["steps"]], ["succeeded"] * 2)

    def test_signal_wakes_the_waiting_step(self):
        run = self.cairn.start("py-approval")
        self.wait_for_step(run["id"], "approve", "step.waiting")
        self.assertEqual(self.cairn.get(run["id"])["steps"][0]["waiting"]["signal"], "approve")
        data = {"approved": True, "by": "ada"}
        receipt = self.cairn.signal(run["id"], "approve", data, key="ticket-42")
        self.assertEqual(receipt, {"accepted": True, "wokeStep": "approve"})
        self.assertEqual(types(self.cairn.follow(run["id"]))[-1], "run.succeeded")
        self.assertEqual(self.cairn.get(run["id"])["output"], data)
        # The same key again is accepted once only, also after the run has finished.
        again = self.cairn.signal(run["id"], "approve", {"approved": False}, key="ticket-42")
        self.assertEqual(again["accepted"], False)
        self.assertEqual(self.cairn.get(run["id"])["output"], data)

    def test_signal_errors_carry_the_api_code(self):
        run = self.cairn.start("py-approval")
        self.wait_for_step(run["id"], "approve", "step.waiting")
        with self.assertRaises(CairnApiError) as unfit:
            self.cairn.signal(run["id"], "approve", {"approved": "yes"})
        self.assertEqual(unfit.exception.status, 422)
        self.assertIn("approved", unfit.exception.message)
        with self.assertRaises(CairnApiError) as missing:
            self.cairn.signal("no-such-run", "approve", {"approved": True})
        self.assertEqual((missing.exception.status, missing.exception.code), (404, "NOT_FOUND"))
        with self.assertRaises(CairnApiError) as bad_name:
            self.cairn.signal(run["id"], "two words", {"approved": True})
        self.assertEqual(bad_name.exception.status, 400)
        # The refused data was not kept: the wait takes the next signal that fits.
        self.assertEqual(self.cairn.get(run["id"])["status"], "running")
        self.cairn.signal(run["id"], "approve", {"approved": False})
        self.assertEqual(types(self.cairn.follow(run["id"]))[-1], "run.succeeded")
        self.assertEqual(self.cairn.get(run["id"])["output"], {"approved": False})
        with self.assertRaises(CairnApiError) as finished:
            self.cairn.signal(run["id"], "approve", {"approved": True})
        self.assertEqual((finished.exception.status, finished.exception.code), (409, "CONFLICT"))

    def test_errors_carry_the_api_code(self):
        with self.assertRaises(CairnApiError) as missing:
            self.cairn.get("no-such-run")
        self.assertEqual((missing.exception.status, missing.exception.code), (404, "NOT_FOUND"))
        with self.assertRaises(CairnApiError) as refused:
            CairnClient(self.server.url, token="cairn_wrong").list()
        self.assertEqual((refused.exception.status, refused.exception.code), (401, "UNAUTHORIZED"))
        with self.assertRaises(CairnApiError) as conflict:
            done = self.cairn.start("py-quick")
            list(self.cairn.follow(done["id"]))
            self.cairn.resume(done["id"])
        self.assertEqual(conflict.exception.code, "CONFLICT")


class SseTest(unittest.TestCase):
    def test_parse(self):
        lines = [": connected", "", "id: 1", "event: run.created", "data: {\"a\":", "data: 1}", "",
                 ": keep-alive", "", "data:no space", "", "event: lonely", ""]
        self.assertEqual(list(parse_sse(lines)), [
            {"id": "1", "event": "run.created", "data": "{\"a\":\n1}"},
            {"id": "1", "event": "message", "data": "no space"},
        ])


if __name__ == "__main__":
    unittest.main()
