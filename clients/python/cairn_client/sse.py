"""An incremental reader of text/event-stream (the WHATWG rules Cairn's server uses)."""

from typing import Dict, Iterable, Iterator, Optional


def parse_sse(lines: Iterable[str]) -> Iterator[Dict[str, Optional[str]]]:
    """Yield one dict per message: {"id", "event", "data"}; comments (": keep-alive") are skipped.

    `lines` are the stream's lines without their line endings. A message ends at an empty line;
    `data:` lines are joined with "\\n"; a message without data is not dispatched.
    """
    message_id: Optional[str] = None
    event: Optional[str] = None
    data: list = []
    for line in lines:
        if line == "":
            if data:
                yield {"id": message_id, "event": event or "message", "data": "\n".join(data)}
            event, data = None, []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if field == "data":
            data.append(value)
        elif field == "event":
            event = value
        elif field == "id" and "\0" not in value:
            message_id = value
