"""The peers' virtualenvs (benchmarks/.venvs/NAME, gitignored) and their worker processes.

Each peer is installed into its own virtualenv, since their pins clash (bloop 3.1.1 wants an old
boto3/botocore), and runs as a subprocess speaking :mod:`common`'s worker protocol. Any failure
(install, import, a case raising) becomes the reason a table row gives; the harness goes on.
"""

from __future__ import annotations

import hashlib
import json
import queue
import subprocess
import sys
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

HERE = Path(__file__).resolve().parent
VENVS = HERE.parent / ".venvs"


@dataclass(frozen=True)
class Peer:
    name: str
    requirements: tuple[str, ...]
    script: str


PEERS = (
    # boto3 only for the calibration cases (PynamoDB itself uses botocore alone)
    Peer("pynamodb", ("pynamodb==6.1.0", "boto3"), "pynamodb_peer.py"),
    Peer("bloop", ("bloop==3.1.1",), "bloop_peer.py"),  # pins its own old boto3/botocore
    Peer("dyntastic", ("dyntastic==0.18.0",), "dyntastic_peer.py"),
)
# Peers with an HTTP client of their own (no botocore to answer from memory): they join the
# side-by-side scenario on dynalite instead of the microbenchmarks.
SERVER_PEERS = (Peer("pydynox", ("pydynox==1.8.0",), "pydynox_peer.py"),)


class PeerUnavailable(Exception):
    pass


def _python(venv: Path) -> Path:
    return venv / "bin" / "python"


def _stamp(peer: Peer) -> str:
    text = json.dumps([peer.requirements, sys.version, sys.executable])
    return hashlib.sha256(text.encode()).hexdigest()


def ensure(peer: Peer, *, timeout: float = 900) -> Path:
    """The python of the peer's virtualenv, created and installed on first use (or when its
    requirements or the harness's Python change)."""
    venv = VENVS / peer.name
    stamp = venv / ".bench-stamp"
    want = _stamp(peer)
    if stamp.exists() and stamp.read_text() == want and _python(venv).exists():
        return _python(venv)
    VENVS.mkdir(exist_ok=True)
    log = VENVS / f"{peer.name}-install.log"
    with log.open("w") as out:
        steps = [
            [sys.executable, "-m", "venv", "--clear", str(venv)],
            [str(_python(venv)), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             *peer.requirements],
        ]  # fmt: skip
        for step in steps:
            try:
                done = subprocess.run(step, stdout=out, stderr=subprocess.STDOUT, timeout=timeout)
            except subprocess.TimeoutExpired:
                raise PeerUnavailable(f"install timed out after {timeout:.0f}s") from None
            if done.returncode != 0:
                raise PeerUnavailable(f"install failed ({_last_line(log)}; see {log})")
    stamp.write_text(want)
    return _python(venv)


def ensure_all(peers: Sequence[Peer]) -> dict[str, Path | PeerUnavailable]:
    """Install every peer (concurrently: it is mostly waiting on the package index)."""

    def one(peer: Peer) -> Path | PeerUnavailable:
        try:
            return ensure(peer)
        except PeerUnavailable as exc:
            return exc
        except Exception as exc:
            return PeerUnavailable(f"{type(exc).__name__}: {exc}")

    with ThreadPoolExecutor(len(peers) or 1) as pool:
        return dict(zip((p.name for p in peers), pool.map(one, peers), strict=True))


def _last_line(path: Path) -> str:
    lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1][:160] if lines else "no output"


@dataclass
class RemoteCase:
    key: str
    impl: str
    items: int
    index: int


@dataclass
class Worker:
    """A running peer runner: ``cases`` it offers, ``measure(index)`` runs one batch."""

    peer: Peer
    proc: subprocess.Popen[str]
    lines: queue.Queue[str | None]
    cases: list[RemoteCase] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @classmethod
    def start(
        cls, peer: Peer, python: Path, items: int, log: IO[str], args: Sequence[str] = ()
    ) -> Worker:
        proc = subprocess.Popen(
            [str(python), str(HERE / peer.script), "--items", str(items), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        lines: queue.Queue[str | None] = queue.Queue()

        def pump(stream: IO[str]) -> None:
            for line in stream:
                lines.put(line)
            lines.put(None)

        assert proc.stdout is not None
        threading.Thread(target=pump, args=(proc.stdout,), daemon=True).start()
        return cls(peer, proc, lines)

    def ready(self, timeout: float = 180) -> None:
        """Wait for the runner's list of cases (it imports and sets up first)."""
        hello = self._receive(timeout)
        if "error" in hello:
            self.error = str(hello["error"])
            return
        self.cases = [RemoteCase(index=i, **c) for i, c in enumerate(hello["cases"])]
        self.meta = hello.get("meta", {})

    def measure(self, index: int, timeout: float = 120) -> int:
        return self.measure_both(index, timeout)[0]

    def measure_both(self, index: int, timeout: float = 120) -> tuple[int, int]:
        """Nanoseconds of CPU and of wall time (0 when the case is on the thread clock)."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"run": index}) + "\n")
        self.proc.stdin.flush()
        answer = self._receive(timeout)
        if "error" in answer:
            raise RuntimeError(str(answer["error"]))
        return int(answer["ns"]), int(answer.get("wall", 0))

    def _receive(self, timeout: float) -> dict[str, Any]:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            self.stop()
            return {"error": f"no answer within {timeout:.0f}s"}
        if line is None:
            return {"error": f"the runner exited (status {self.proc.wait()})"}
        message: dict[str, Any] = json.loads(line)
        return message

    def stop(self) -> None:
        if self.proc.poll() is None:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
