"""Load generators: wrk when installed, else a Python one (processes of keep-alive
http.client connections). Both answer requests per second for one URL.

``post_each`` is the other kind of load: a fixed batch of bodies, each POSTed once (webhook
deliveries), with every request's latency.
"""

from __future__ import annotations

import http.client
import multiprocessing
import os
import re
import shutil
import statistics
import subprocess
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

# post_each and post_alternating send their first body this many seconds after they are
# called: every load process spawned and its imports done, so all start together.
POST_LEAD = 3


@dataclass(frozen=True)
class LoadOptions:
    """How hard to push: ``threads`` load threads (wrk) or processes (Python) sharing
    ``connections`` keep-alive connections for ``duration`` seconds.

    ``rate`` (post_each only): requests per second in all, each sent at its time whatever
    the answers before it took (an open loop, as webhooks and donors arrive), so the same
    work arrives however fast the server is; 0 sends each as soon as its connection's last
    answer came (a closed loop: a faster server gets more). ``own_session`` (the Python
    generator only): each load process in a session of its own, so a kernel that shares
    the CPU between sessions (autogroup) does not share the probe's with the harness's
    other load; it stands for a browser on another machine."""

    duration: float = 10
    threads: int = 2
    connections: int = 16
    tool: str = "auto"  # auto, wrk or python
    rate: float = 0
    own_session: bool = False

    @property
    def chosen_tool(self) -> str:
        if self.tool != "auto":
            return self.tool
        return "wrk" if shutil.which("wrk") else "python"


@dataclass(frozen=True)
class LoadResult:
    requests_per_second: float
    requests: int
    errors: int  # answers other than 2xx/3xx, and socket errors
    latencies: list[float] = field(default_factory=list)  # seconds (Python generator only)
    started: list[float] = field(default_factory=list)  # each one's start, as time.time()

    def latencies_between(self, start: float, end: float) -> list[float]:
        """The latencies of the requests started from ``start`` to ``end`` (time.time())."""
        return [t for at, t in zip(self.started, self.latencies, strict=True) if start <= at <= end]


@dataclass(frozen=True)
class Window:
    """Events (of a spawn context) a Python load shares with whoever runs beside it: it
    sets ``running`` once its requests begin, and ends before its duration once ``stop``
    is set, so another load can start within it and it can end with that load."""

    running: Any
    stop: Any

    @classmethod
    def new(cls) -> Window:
        context = multiprocessing.get_context("spawn")
        return cls(context.Event(), context.Event())


_WINDOW: list[Window] = []  # in a load process: the window it was given, if any


def _start_load_process(window: Window | None, own_session: bool) -> None:
    if own_session:
        os.setsid()
    if window is not None:
        _WINDOW.append(window)


def generate_load(
    host: str, port: int, path: str, options: LoadOptions, window: Window | None = None
) -> LoadResult:
    """GET ``path`` as fast as the options allow; return what got through. A ``window``
    (Python load only) marks its start and can end it early."""
    if options.chosen_tool == "wrk":
        if window is not None:
            raise ValueError("a window needs the Python load generator")
        return _wrk(f"http://{host}:{port}{path}", options)
    return _python(host, port, path, options, window)


def _wrk(url: str, options: LoadOptions) -> LoadResult:
    output = subprocess.run(
        [
            "wrk",
            f"-t{options.threads}",
            f"-c{options.connections}",
            f"-d{max(round(options.duration), 1)}s",
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return parse_wrk(output)


def parse_wrk(output: str) -> LoadResult:
    """The figures from wrk's report."""
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    total = re.search(r"^\s*(\d+) requests in", output, re.MULTILINE)
    if not (rate and total):
        raise RuntimeError(f"cannot read wrk's output:\n{output}")
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", output))
    socket_errors = re.search(r"Socket errors: (.*)", output)
    if socket_errors:
        errors += sum(int(n) for n in re.findall(r"\d+", socket_errors[1]))
    return LoadResult(float(rate[1]), int(total[1]), errors)


def _python(
    host: str, port: int, path: str, options: LoadOptions, window: Window | None
) -> LoadResult:
    processes = max(options.threads, 1)
    per_process = max(options.connections // processes, 1)
    # spawn: a fresh interpreter per load process, nothing inherited from the harness.
    context = multiprocessing.get_context("spawn")
    # Every process starts at the same moment, once all have been spawned.
    start_at = time.time() + 2
    with ProcessPoolExecutor(
        processes,
        mp_context=context,
        initializer=_start_load_process,
        initargs=(window, options.own_session),
    ) as pool:
        futures = [
            pool.submit(_python_process, host, port, path, per_process, start_at, options.duration)
            for _ in range(processes)
        ]
        counts = [future.result() for future in futures]
    requests = sum(ok for ok, *_ in counts)
    timed = [request for *_, part, _ in counts for request in part]
    return LoadResult(
        requests / max(seconds for *_, seconds in counts),
        requests,
        sum(bad for _, bad, *_ in counts),
        [latency for _, latency in timed],
        [at for at, _ in timed],
    )


def _python_process(
    host: str, port: int, path: str, connections: int, start_at: float, duration: float
) -> tuple[int, int, list[tuple[float, float]], float]:
    """One load process: ``connections`` threads, each looping on its own keep-alive
    connection from ``start_at`` (a time.time()) for ``duration`` seconds, or until its
    window's ``stop``. Returns (good answers, errors, each good answer's start
    (time.time()) and latency in seconds, the seconds it ran)."""
    time.sleep(max(start_at - time.time(), 0))
    began = time.monotonic()
    deadline = began + duration
    stop = _WINDOW[0].stop if _WINDOW else threading.Event()
    if _WINDOW:
        _WINDOW[0].running.set()
    counts = [[0, 0] for _ in range(connections)]
    latencies: list[tuple[float, float]] = []

    def loop(count: list[int]) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=30)
        while time.monotonic() < deadline and not stop.is_set():
            at = time.time()
            started = time.perf_counter()
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                count[1] += 1
                conn.close()
                continue
            ok = response.status < 400
            count[0 if ok else 1] += 1
            if ok:
                # One append of both (list.append is thread-safe; two would not pair up).
                latencies.append((at, time.perf_counter() - started))
        conn.close()

    threads = [threading.Thread(target=loop, args=(count,)) for count in counts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return (
        sum(c[0] for c in counts),
        sum(c[1] for c in counts),
        latencies,
        time.monotonic() - began,
    )


def percentile_ms(latencies: list[float], percent: int) -> float:
    """The ``percent``-th percentile of ``latencies`` (seconds), in milliseconds."""
    if len(latencies) < 2:  # quantiles needs two points; one is every percentile
        return latencies[0] * 1000
    return statistics.quantiles(latencies, n=100, method="inclusive")[percent - 1] * 1000


@dataclass(frozen=True)
class BatchResult:
    """What ``post_each`` saw: the wall time from the first request to the last answer
    (``seconds``, from ``started_at``, a time.time()), each request's latency in seconds,
    and the answers that were not 2xx (or never came)."""

    seconds: float
    latencies: list[float]
    failures: int
    started_at: float = 0.0

    @property
    def succeeded(self) -> int:
        return len(self.latencies) - self.failures

    @property
    def per_second(self) -> float:
        return self.succeeded / self.seconds


def post_each(
    host: str,
    port: int,
    path: str,
    bodies: list[str],
    sign: Callable[[str], dict[str, str]],
    options: LoadOptions,
) -> BatchResult:
    """POST every body once to ``path``, ``options.connections`` at a time on keep-alive
    connections spread over ``options.threads`` processes, at ``options.rate`` if set.
    ``sign(body)`` (picklable) gives each request's headers at the moment it is sent."""
    lanes = [bodies[i :: options.connections] for i in range(options.connections)]
    processes = max(min(options.threads, options.connections), 1)
    groups = [lanes[i::processes] for i in range(processes)]
    context = multiprocessing.get_context("spawn")
    start_at = time.time() + POST_LEAD
    with ProcessPoolExecutor(processes, mp_context=context) as pool:
        futures = [
            pool.submit(
                _post_process,
                host,
                port,
                path,
                group,
                sign,
                start_at,
                options.rate * len(group) / options.connections,
            )
            for group in groups
        ]
        parts = [future.result() for future in futures]
    # A process that started late (a busy machine) only stretches the measured window.
    started_at = min(start for start, _, _, _ in parts)
    seconds = max(end for _, end, _, _ in parts) - started_at
    latencies = [latency for _, _, part, _ in parts for latency in part]
    return BatchResult(seconds, latencies, sum(failures for *_, failures in parts), started_at)


def post_alternating(
    host: str,
    path: str,
    segments: list[tuple[int, list[str]]],
    sign: Callable[[str], dict[str, str]],
    connections: int,
) -> list[BatchResult]:
    """``post_each`` for several servers in turn: each segment (a port and its bodies) is
    POSTed, ``connections`` at a time, once the one before has been answered, all from one
    load process. Two servers' segments alternating a second apart meet the same machine:
    a shared machine's drift, minutes long, falls on both alike. One result per segment."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        parts = pool.submit(
            _post_segments, host, path, segments, sign, connections, time.time() + POST_LEAD
        ).result()
    return [
        BatchResult(end - start, latencies, failures, start)
        for start, end, latencies, failures in parts
    ]


def _post_segments(
    host: str,
    path: str,
    segments: list[tuple[int, list[str]]],
    sign: Callable[[str], dict[str, str]],
    connections: int,
    start_at: float,
) -> list[tuple[float, float, list[float], int]]:
    time.sleep(max(start_at - time.time(), 0))
    return [
        _post_lanes(host, port, path, [bodies[i::connections] for i in range(connections)], sign)
        for port, bodies in segments
    ]


def _post_process(
    host: str,
    port: int,
    path: str,
    lanes: list[list[str]],
    sign: Callable[[str], dict[str, str]],
    start_at: float,
    rate: float,
) -> tuple[float, float, list[float], int]:
    """One load process: ``_post_lanes`` from ``start_at`` (a time.time())."""
    time.sleep(max(start_at - time.time(), 0))
    return _post_lanes(host, port, path, lanes, sign, rate)


def _post_lanes(
    host: str,
    port: int,
    path: str,
    lanes: list[list[str]],
    sign: Callable[[str], dict[str, str]],
    rate: float = 0,
) -> tuple[float, float, list[float], int]:
    """A thread per lane, each POSTing its bodies in turn on its own keep-alive
    connection; at ``rate`` a second in all if set, lane ``j``'s ``k``-th body at
    (j + k x lanes) / rate seconds from the start (or at once, if its answer before came
    later). Returns (start, end, latencies, failures), times as time.time()."""
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    began = time.time()

    def lane(first: int, bodies: list[str]) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=60)
        for number, body in enumerate(bodies):
            if rate:
                due = began + (first + number * len(lanes)) / rate
                time.sleep(max(due - time.time(), 0))
            headers = sign(body)
            started = time.perf_counter()
            try:
                conn.request("POST", path, body=body.encode(), headers=headers)
                response = conn.getresponse()
                response.read()
                ok = 200 <= response.status < 300
            except (OSError, http.client.HTTPException):
                conn.close()
                ok = False
            with lock:
                latencies.append(time.perf_counter() - started)
                failures[0] += not ok
        conn.close()

    threads = [threading.Thread(target=lane, args=pair) for pair in enumerate(lanes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return began, time.time(), latencies, failures[0]
