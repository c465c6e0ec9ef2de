"""A small client for Cairn's HTTP API, on the standard library only (urllib + json).

    from cairn_client import CairnClient

    cairn = CairnClient("http://127.0.0.1:7420", token=os.environ["CAIRN_TOKEN"])
    run = cairn.start("report", {"topic": "tides"})
    for event in cairn.follow(run["id"]):      # Server-Sent Events until the run settles
        print(event["type"], event.get("stepId"))
    failed = cairn.latest_failed("report")
    if failed:
        print(cairn.resume_plan(failed["run"]["id"]))   # a dry run: what resume would do
        cairn.resume(failed["run"]["id"])

Every method maps to one operation of the OpenAPI document (GET /api/openapi.json); the operationId
is named in each docstring. Errors are raised as CairnApiError with the API's code and message.
"""

from .client import CairnApiError, CairnClient, Event, SETTLED_EVENTS
from .sse import parse_sse

__all__ = ["CairnApiError", "CairnClient", "Event", "SETTLED_EVENTS", "parse_sse"]
