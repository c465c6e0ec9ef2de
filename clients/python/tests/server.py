"""A real `cairn serve` for the tests: a temp SQLite store, a token made with `cairn token create`."""

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
WORKFLOWS = Path(__file__).resolve().parent / "workflows"
NODE = os.environ.get("CAIRN_NODE", "node")
BIN = os.environ.get("CAIRN_BIN", str(ROOT / "bin" / "cairn.js"))


class CairnServer:
    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="cairn-py-"))
        db = str(self.dir / "cairn.db")
        self.env = {
            **os.environ,
            "NO_COLOR": "1",
            "PY_LEDGER": str(self.dir / "ledger"),
            "PY_FIXED": str(self.dir / "fixed"),
            "PY_GO": str(self.dir / "go"),
        }
        self.token = subprocess.run(
            [NODE, BIN, "--db", db, "token", "create", "--tenant", "python"],
            env=self.env, check=True, capture_output=True, text=True,
        ).stdout.strip()
        # serve's log lines go to a file: a pipe nobody reads fills up and blocks the server.
        self.log = self.dir / "serve.log"
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(
                [NODE, BIN, "--db", db, "serve", "--port", "0", "--workflows", str(WORKFLOWS)],
                cwd=self.dir, env=self.env, stdout=subprocess.PIPE, stderr=log, text=True,
            )
        line = self.process.stdout.readline()
        match = re.search(r"listening on (http://\S+)", line)
        if not match:
            self.process.kill()
            self.process.wait()
            raise RuntimeError(f"cairn serve did not start: {line}{self.log.read_text()}")
        self.url = match.group(1)

    def touch(self, name: str) -> None:
        (self.dir / name).write_text("")

    def executed(self, run_id: str) -> list:
        ledger = self.dir / "ledger"
        if not ledger.exists():
            return []
        prefix = run_id + " "
        return [l[len(prefix):] for l in ledger.read_text().splitlines() if l.startswith(prefix)]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        finally:
            self.process.stdout.close()
            shutil.rmtree(self.dir, ignore_errors=True)
