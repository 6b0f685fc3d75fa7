"""gunicorn servers started and stopped by the benchmark, each on a free loopback port."""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
OUTPUT_DIR = ROOT / "bench-output"


def app_env(database_url: str, **settings: str) -> dict[str, str]:
    """The environment of a gunicorn serving the app on ``database_url``."""
    return {
        "DATABASE_URL": database_url,
        "FLASK_CONFIG": "development",
        "FLASK_DEBUG": "0",
        **settings,
    }


@dataclass(frozen=True)
class ServerOptions:
    """How every server under test runs, so the app and the bare page are served alike."""

    workers: int = 2
    worker_class: str = "gthread"
    threads: int = 4


@dataclass(frozen=True)
class Server:
    """A running gunicorn: where it listens and its master process."""

    name: str
    host: str
    port: int
    process: subprocess.Popen

    def workers(self) -> list[int]:
        """The process ids of gunicorn's workers (the master's children)."""
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return [int(child) for child in children]

    def get(self, path: str) -> tuple[int, bytes]:
        """One GET on a fresh connection: (status, body)."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def gunicorn(
    name: str,
    app: str,
    env: dict[str, str],
    options: ServerOptions,
    ready_path: str,
    log_dir: Path,
) -> Iterator[Server]:
    """Serve the WSGI ``app`` ("module:variable") until the block ends; wait until
    ``ready_path`` answers 200 first. The server's output goes to ``log_dir/<name>.log``."""
    port = free_port()
    command = [
        str(GUNICORN),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(options.workers),
        "--worker-class",
        options.worker_class,
        "--threads",
        str(options.threads),
        "--log-level",
        "warning",
        app,
    ]
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    with log_path.open("wb") as log:
        # A session of its own: Ctrl-C reaches the harness only, which then stops the
        # server in order (and drops the database after it).
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(name, "127.0.0.1", port, process)
    try:
        _wait_until_ready(server, ready_path, log_path)
        yield server
    finally:
        _stop(process)


def _wait_until_ready(server: Server, path: str, log_path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited; see {log_path}:\n{log_path.read_text()}")
        with contextlib.suppress(OSError):
            if server.get(path)[0] == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{server.name} did not answer {path} within {timeout:.0f} s")


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM to gunicorn's master (it stops its workers), SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def memory_mb(pid: int, field: str = "VmHWM") -> float:
    """A process's memory figure from /proc (Linux) in MB: VmHWM is its peak resident set
    since it started or since ``reset_peak``, VmRSS the present one."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024  # kB
    raise RuntimeError(f"no {field} for process {pid}")


def reset_peak(pid: int) -> None:
    """Start a process's VmHWM again from its present resident set (Linux: clear_refs 5),
    so the next peak read is the peak of what follows, not of the worker's start."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")
