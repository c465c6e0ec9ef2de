"""CairnClient: one method per API operation, JSON in and out, errors as CairnApiError."""

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, Iterator, List, Optional

from .sse import parse_sse

Event = Dict[str, Any]

#: Event types after which a run is no longer running (follow() stops after one of them).
SETTLED_EVENTS = frozenset(
    ["run.succeeded", "run.failed", "run.cancelled", "run.paused", "run.interrupted"]
)


class CairnApiError(Exception):
    """An error answer of the API: `status` (HTTP), `code` (e.g. "CONFLICT"), `message`, `details`."""

    def __init__(self, status: int, code: str, message: str, details: Any = None):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details


class CairnClient:
    """A client for one Cairn server and one token (its tenant's runs only)."""

    def __init__(self, base_url: str, token: Optional[str] = None, timeout: float = 30.0):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    # Runs -----------------------------------------------------------------------------------------

    def start(
        self,
        workflow_id: str,
        input: Any = None,
        run_id: Optional[str] = None,
        secrets: Optional[Dict[str, str]] = None,
    ) -> Dict[str, Any]:
        """Start a run (startRun). With an existing `run_id`, that run is returned instead."""
        body: Dict[str, Any] = {"input": {} if input is None else input}
        if run_id is not None:
            body["runId"] = run_id
        if secrets:
            body["secrets"] = secrets
        return self._json("POST", f"/api/workflows/{_q(workflow_id)}/runs", body)

    def get(self, run_id: str) -> Dict[str, Any]:
        """A run with its steps and lineage (getRun)."""
        return self._json("GET", f"/api/runs/{_q(run_id)}")

    def list(
        self,
        status: Optional[str] = None,
        workflow: Optional[str] = None,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
    ) -> Dict[str, Any]:
        """One page of runs, newest first (listRuns): {"runs": [...], "nextCursor": str | None}."""
        query = {"status": status, "workflow": workflow, "limit": limit, "cursor": cursor}
        return self._json("GET", "/api/runs" + _query(query))

    def iter_runs(self, status: Optional[str] = None, workflow: Optional[str] = None) -> Iterator[Dict[str, Any]]:
        """Every run matching the filters, page after page."""
        cursor = None
        while True:
            page = self.list(status=status, workflow=workflow, limit=500, cursor=cursor)
            yield from page["runs"]
            cursor = page["nextCursor"]
            if cursor is None:
                return

    def step(self, run_id: str, step_id: str) -> Dict[str, Any]:
        """One step with its logs, checkpoint and error (getStep)."""
        return self._json("GET", f"/api/runs/{_q(run_id)}/steps/{_q(step_id)}")

    def history(self, run_id: str) -> Dict[str, Any]:
        """Every start and resume of a run (getRunHistory)."""
        return self._json("GET", f"/api/runs/{_q(run_id)}/history")

    def latest_failed(self, workflow_id: str) -> Optional[Dict[str, Any]]:
        """The latest failed run of a workflow and its failed steps, or None (getLatestFailedRun)."""
        try:
            return self._json("GET", f"/api/workflows/{_q(workflow_id)}/latest-failed")
        except CairnApiError as error:
            if error.status == 404 and self._workflow_exists(workflow_id):
                return None
            raise

    def workflows(self) -> List[Dict[str, Any]]:
        """Registered workflows (listWorkflows)."""
        return self._json("GET", "/api/workflows")["workflows"]

    # Actions --------------------------------------------------------------------------------------

    def resume_plan(self, run_id: str, **options: Any) -> Dict[str, Any]:
        """What resume would do with every step, and why: a dry run (getResumePlan).

        Options as for resume(): retry_failed, reset_running, on_change, max_attempts, reset_attempts.
        """
        query = {_camel(k): _query_value(v) for k, v in options.items()}
        return self._json("GET", f"/api/runs/{_q(run_id)}/resume-plan" + _query(query))

    def resume(self, run_id: str, secrets: Optional[Dict[str, str]] = None, **options: Any) -> Dict[str, Any]:
        """Continue a run in place (resumeRun): {"run": ..., "plan": ...}.

        Options: retry_failed, reset_running, on_change ("error" | "rerun" | "keep"), max_attempts,
        reset_attempts, mark_done={"stepId": ..., "output": ...}.
        """
        body = {_camel(k): v for k, v in options.items()}
        if secrets:
            body["secrets"] = secrets
        return self._json("POST", f"/api/runs/{_q(run_id)}/resume", body)

    def restart(self, run_id: str, secrets: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
        """A new run of the same workflow and input, from scratch (restartRun)."""
        return self._json("POST", f"/api/runs/{_q(run_id)}/restart", {"secrets": secrets} if secrets else {})

    def rerun(
        self,
        run_id: str,
        from_steps: Optional[List[str]] = None,
        failed: bool = False,
        secrets: Optional[Dict[str, str]] = None,
    ) -> Dict[str, Any]:
        """A new run executing `from_steps` (or the failed steps) and their downstream (rerunRun)."""
        if bool(from_steps) == failed:
            raise ValueError("rerun needs either from_steps or failed=True")
        body: Dict[str, Any] = {"from": from_steps} if from_steps else {"failed": True}
        if secrets:
            body["secrets"] = secrets
        return self._json("POST", f"/api/runs/{_q(run_id)}/rerun", body)

    def cancel(self, run_id: str) -> Dict[str, Any]:
        """Cancel a run: no new steps; running steps are aborted (cancelRun)."""
        return self._json("POST", f"/api/runs/{_q(run_id)}/cancel")

    def pause(self, run_id: str) -> Dict[str, Any]:
        """Pause a run: no new steps; running ones finish (pauseRun)."""
        return self._json("POST", f"/api/runs/{_q(run_id)}/pause")

    def signal(self, run_id: str, name: str, data: Any = None, key: Optional[str] = None) -> Dict[str, Any]:
        """Send the signal `name` to a run (sendSignal): the step waiting for it continues with `data`.

        Returns {"accepted": bool, "wokeStep": str | None}: `accepted` is False when a signal with the
        same `key` (an idempotency key) was sent before, and nothing changed; `wokeStep` is None when
        no step waits yet (the signal is kept and delivered once). Raises CairnApiError: 422 when
        `data` does not fit the wait's schema, 409 when the run succeeded, 404 for an unknown run.

            cairn.signal(run_id, "approve", {"approved": True}, key="ticket-42")
        """
        body: Dict[str, Any] = {"data": data}
        if key is not None:
            body["key"] = key
        return self._json("POST", f"/api/runs/{_q(run_id)}/signals/{_q(name)}", body)

    # Events ---------------------------------------------------------------------------------------

    def events(self, run_id: Optional[str] = None, after: int = 0) -> Iterator[Event]:
        """The event stream of one run (streamRunEvents) or of every run of the tenant (streamEvents).

        Yields events as dicts ({"seq", "type", "runId", "stepId", "at", "data"}) for as long as the
        server streams; reconnects with Last-Event-ID when the connection drops, so no event is
        missed or repeated. Close the generator to stop.
        """
        path = f"/api/runs/{_q(run_id)}/events" if run_id else "/api/events"
        last = after
        failures = 0
        while True:
            headers = {"Accept": "text/event-stream"}
            if last > 0:
                headers["Last-Event-ID"] = str(last)
            try:
                with self._open("GET", path, None, headers, timeout=None) as response:
                    lines = (raw.decode("utf-8").rstrip("\r\n") for raw in response)
                    for message in parse_sse(lines):
                        event = json.loads(message["data"] or "null")
                        last = int(message["id"] or event["seq"])
                        failures = 0
                        yield event
            except (ConnectionError, urllib.error.URLError, TimeoutError):
                # A dropped stream is reconnected; a server that stays unreachable is reported.
                failures += 1
                if failures > 5:
                    raise
                time.sleep(min(0.25 * 2**failures, 5.0))

    def follow(self, run_id: str) -> Iterator[Event]:
        """A run's events from the first, until the run is no longer running.

        Events of earlier attempts are yielded too, but their end (a run.failed before a resume) does
        not stop the iteration: it stops after the settling event of the run's current attempt (or
        of a later one, when the run is resumed meanwhile).
        """
        attempt = self.get(run_id)["attempt"]
        current = 0
        events = self.events(run_id)
        try:
            for event in events:
                yield event
                if event["type"] == "run.created":
                    current = 1
                elif event["type"] == "run.resumed":
                    current = (event.get("data") or {}).get("attempt", current + 1)
                if (
                    event["type"] in SETTLED_EVENTS
                    and current >= attempt
                    and self.get(run_id)["status"] != "running"
                ):
                    return
        finally:
            events.close()

    # HTTP -----------------------------------------------------------------------------------------

    def _workflow_exists(self, workflow_id: str) -> bool:
        try:
            self._json("GET", f"/api/workflows/{_q(workflow_id)}")
            return True
        except CairnApiError as error:
            if error.status == 404:
                return False
            raise

    def _json(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode("utf-8")
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        with self._open(method, path, data, headers, timeout=self.timeout) as response:
            return json.loads(response.read().decode("utf-8"))

    def _open(self, method: str, path: str, data: Optional[bytes], headers: Dict[str, str], timeout: Optional[float]):
        if self.token:
            headers = {**headers, "Authorization": f"Bearer {self.token}"}
        request = urllib.request.Request(self.base_url + path, data=data, headers=headers, method=method)
        try:
            return urllib.request.urlopen(request, timeout=timeout)
        except urllib.error.HTTPError as error:
            raise _api_error(error) from None


def _api_error(error: "urllib.error.HTTPError") -> CairnApiError:
    text = error.read().decode("utf-8", "replace")
    try:
        body = json.loads(text)["error"]
        return CairnApiError(error.code, body["code"], body["message"], body.get("details"))
    except (ValueError, KeyError, TypeError):
        return CairnApiError(error.code, "HTTP", text.strip() or error.reason)


def _q(segment: str) -> str:
    return urllib.parse.quote(segment, safe="")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _query(params: Dict[str, Any]) -> str:
    present = {k: _query_value(v) for k, v in params.items() if v is not None}
    return "?" + urllib.parse.urlencode(present) if present else ""
