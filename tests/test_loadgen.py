"""The benchmark's load generators: wrk's report read; the probe's window, its start and
its end; its processes in a session of their own; the batch loader sending each body once,
freshly signed, as fast as answered or on schedule; segments alternating between servers;
and the latency figures taken from what they measured."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe

from benchmarks.loadgen import (
    BatchResult,
    LoadOptions,
    LoadResult,
    Window,
    _start_load_process,
    generate_load,
    parse_wrk,
    percentile_ms,
    post_alternating,
    post_each,
)
from benchmarks.webhooks import WEBHOOK_SECRET, latency_ms, sign

pytestmark = pytest.mark.benchmarks


WRK_OUTPUT = """\
Running 10s test @ http://127.0.0.1:8000/campaigns/x
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    14.02ms    3.12ms  40.10ms   80.00%
    Req/Sec   571.10     40.20   650.00     70.00%
  11422 requests in 10.01s, 140.12MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:   1141.06
Transfer/sec:     14.00MB
"""


def test_wrk_report_is_read_with_its_errors():
    result = parse_wrk(WRK_OUTPUT)

    assert result.requests_per_second == 1141.06
    assert result.requests == 11422
    assert result.errors == 7


class _Recorder(BaseHTTPRequestHandler):
    """Answers 204, or 500 to a body saying "refuse"; keeps what it was sent, and when."""

    protocol_version = "HTTP/1.1"
    received: list[tuple[str, str, str]] = []
    arrived: list[float] = []  # each POST's time.time()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        self.arrived.append(time.time())
        self.received.append((self.path, body, self.headers["Stripe-Signature"]))
        self.send_response(500 if body == "refuse" else 204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args) -> None:
        """Quiet."""


def test_a_probe_with_a_window_says_it_runs_and_ends_when_told():
    """The probe under load: it is running before the load beside it starts, and it ends
    when that load ends, not after its own duration (here a minute)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    window = Window.new()
    results: list[LoadResult] = []
    probe = threading.Thread(
        target=lambda: results.append(
            generate_load(
                "127.0.0.1",
                server.server_address[1],
                "/",
                LoadOptions(duration=60, threads=1, connections=2, tool="python"),
                window,
            )
        )
    )
    try:
        probe.start()
        assert window.running.wait(30)
        told = time.time()
        time.sleep(0.5)
        window.stop.set()
        probe.join(30)
    finally:
        server.shutdown()
        server.server_close()

    (result,) = results
    assert not probe.is_alive()
    assert time.time() - told < 15  # long before its 60 s
    assert result.requests > 0 and result.errors == 0
    assert result.latencies_between(told, told + 0.5)  # it answered while the load ran
    assert result.requests_per_second == pytest.approx(result.requests / 0.5, rel=0.9)
    with pytest.raises(ValueError):
        generate_load("127.0.0.1", 1, "/", LoadOptions(tool="wrk"), window)


def _post_to_recorder(bodies: list[str], options: LoadOptions) -> BatchResult:
    """``post_each`` of ``bodies`` to a fresh _Recorder server."""
    _Recorder.received.clear()
    _Recorder.arrived.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        return post_each(
            "127.0.0.1", server.server_address[1], "/webhooks/stripe", bodies, sign, options
        )
    finally:
        server.shutdown()
        server.server_close()


def test_batch_loader_posts_each_body_once_signed():
    bodies = ["one", "two", "refuse", "four", "five"]
    sent_before = time.time()
    result = _post_to_recorder(bodies, LoadOptions(threads=1, connections=2))

    assert sorted(body for _, body, _ in _Recorder.received) == sorted(bodies)
    assert {path for path, _, _ in _Recorder.received} == {"/webhooks/stripe"}
    for _, body, signature in _Recorder.received:
        assert stripe.WebhookSignature.verify_header(body, signature, WEBHOOK_SECRET, 300)
    assert (len(result.latencies), result.failures, result.succeeded) == (5, 1, 4)
    assert result.per_second == 4 / result.seconds
    assert sent_before < result.started_at < result.started_at + result.seconds < time.time()


def test_a_paced_batch_is_sent_on_schedule_however_fast_it_is_answered():
    """At a rate, post_each is an open loop: 10 bodies at 20 a second over 2 connections go
    50 ms apart, though each is answered at once (sent as answered, all would arrive
    within a few ms)."""
    bodies = [f"gift {n}" for n in range(10)]
    result = _post_to_recorder(bodies, LoadOptions(threads=1, connections=2, rate=20))

    assert sorted(body for _, body, _ in _Recorder.received) == sorted(bodies)
    assert (result.succeeded, result.failures) == (10, 0)
    # The n-th to arrive came no sooner than the n-th was due, n / 20 s from the start
    # (late is allowed: a busy machine); the last was due at 450 ms.
    for number, at in enumerate(sorted(_Recorder.arrived)):
        assert at - result.started_at >= number / 20 - 0.001
    assert max(_Recorder.arrived) - result.started_at < 3
    assert result.per_second < 25


def test_a_load_process_of_its_own_session_is_outside_the_harness_session():
    """The probe's processes (own_session): not in the session of the harness and its
    other load, so the kernel's autogroup shares the CPU with them as with another machine."""
    context = multiprocessing.get_context("spawn")
    for own, expected in ((True, "its own"), (False, "the harness's")):
        with ProcessPoolExecutor(
            1, mp_context=context, initializer=_start_load_process, initargs=(None, own)
        ) as pool:
            pid = pool.submit(os.getpid).result()
            session = pool.submit(os.getsid, 0).result()
        found = "its own" if session == pid else "the harness's" if session == os.getsid(0) else ""
        assert found == expected


def test_alternating_segments_go_to_their_servers_in_turn_each_body_once():
    """The app's and the floor's parts of a webhook measurement: each segment to its own
    server, answered whole before the next starts, one result per segment."""
    servers = [ThreadingHTTPServer(("127.0.0.1", 0), _Recorder) for _ in range(2)]
    ports = [server.server_address[1] for server in servers]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    _Recorder.received.clear()
    segments = [
        (ports[0], ["a1", "a2", "a3"]),
        (ports[1], ["b1", "refuse"]),
        (ports[0], ["a4", "a5", "a6"]),
    ]
    try:
        results = post_alternating("127.0.0.1", "/webhooks/stripe", segments, sign, 2)
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()

    arrived = [body for _, body, _ in _Recorder.received]
    assert [sorted(arrived[:3]), sorted(arrived[3:5]), sorted(arrived[5:])] == [
        ["a1", "a2", "a3"],
        ["b1", "refuse"],
        ["a4", "a5", "a6"],
    ]
    assert [(len(r.latencies), r.failures) for r in results] == [(3, 0), (2, 1), (3, 0)]
    assert results[0].started_at + results[0].seconds <= results[1].started_at
    assert results[1].started_at + results[1].seconds <= results[2].started_at


def test_the_p99_under_load_counts_only_the_requests_made_while_the_load_ran():
    """The probe keeps each request's start: the window of the webhooks' delivery picks
    the requests that met it, its edges included."""
    result = LoadResult(4.0, 4, 0, [0.001, 0.050, 0.060, 0.002], [100.0, 101.0, 102.5, 103.0])
    assert result.latencies_between(101.0, 102.5) == [0.050, 0.060]
    assert result.latencies_between(103.5, 110.0) == []


def test_latency_percentiles_in_milliseconds():
    assert latency_ms([n / 1000 for n in range(100, 0, -1)]) == {
        "p50": 50.5,
        "p95": 95.1,
        "max": 100.0,
    }
    assert latency_ms([0.0123]) == {"p50": 12.3, "p95": 12.3, "max": 12.3}


def test_percentiles_in_milliseconds():
    latencies = [n / 1000 for n in range(1, 101)]
    assert percentile_ms(latencies, 99) == pytest.approx(99.01)
    assert percentile_ms([0.004], 99) == 4.0
