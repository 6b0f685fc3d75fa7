"""The staff exports of every donation of the busy campaign (N gifts) over HTTP: rows per
second and the serving worker's peak resident memory, for the CSV and for the ``.xlsx``.

Each runs on a gunicorn of its own (no other request ever reaches its workers), signed in
through the real staff sign-in form. A worker's peak memory is its VmHWM (Linux's
high-water mark of its resident set, from /proc), started again from its present size
just before the export (a worker's start peaks higher than it then runs: the dummy scrypt
hash of staff sign-in takes 32 MB for a moment); the largest of the workers' after the
export, so a streamed export that buffered the rows would show. The ``.xlsx`` route comes
from the staff issue; where it answers 404 the scenario is reported "not available".
"""

from __future__ import annotations

import http.client
import re
import tempfile
import time
import zipfile
import zlib
from typing import BinaryIO
from urllib.parse import urlencode

from sqlalchemy import func, select

from benchmarks.dataset import bench_app
from benchmarks.scenario import Bench, Group, Measurement, Ratio, Scenario
from benchmarks.servers import Server, app_env, memory_mb, reset_peak
from campaigns.extensions import db
from campaigns.models import Campaign, Donation
from campaigns.services.people.staff import NewStaffForm, create_staff_user

PEAK_RSS_MB = 150  # the most a worker may hold while exporting N gifts
PASSWORD = "bench export password, loopback only"
_TOKEN = re.compile(rb'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
CHUNK = 1 << 16


def csv_group(bench: Bench) -> Group:
    return export_group(bench, "csv_export", "CSV", "/staff/donations.csv")


def xlsx_group(bench: Bench) -> Group:
    return export_group(bench, "xlsx_export", "XLSX", "/staff/donations.xlsx")


def export_group(bench: Bench, key: str, kind: str, path: str) -> Group:
    """One export, ``path`` filtered to the busy campaign: rows/s with the worker's peak
    memory, and the memory target."""
    data = bench.dataset
    app = bench_app(data.database_url)
    with app.app_context():
        campaign_id = db.session.scalar(select(Campaign.id).where(Campaign.slug == data.full_slug))
        email = f"{key}@example.org"
        create_staff_user(db.session, NewStaffForm(email, "Bench Export", "viewer", PASSWORD))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()

    def rows() -> int:
        with app.app_context():
            count = db.session.scalar(
                select(func.count()).where(Donation.campaign_id == campaign_id)
            )
            db.session.remove()
            db.engine.dispose()
        return count

    server = bench.serve(f"app-{key}", "wsgi:app", app_env(data.database_url))
    cookie = sign_in(server, email, PASSWORD)
    url = f"{path}?{urlencode({'campaign': campaign_id})}"
    label = f"{kind} export, {data.donations:,} gifts"
    detail = {"path": url, "rows": data.donations}
    # Judged "n/a" when the route is not there: still in the table, never a miss.
    ratio = Ratio(
        f"{kind} export: worker's peak RSS, MB",
        f"{key}.peak_rss_mb",
        None,
        PEAK_RSS_MB,
        at_most=True,
    )
    status = head_status(server, url, cookie)
    if status == 404:
        missing = Scenario(key, label, "rows/s", _never, detail, unavailable=f"{path} answered 404")
        return Group([missing], [ratio])
    if status != 200:
        raise SystemExit(f"GET {path} answered {status}, not 200; nothing to measure")

    def measure(_seconds: float) -> Measurement:
        expected = rows()
        workers = server.workers()
        before = max(memory_mb(pid, "VmRSS") for pid in workers)
        for pid in workers:
            reset_peak(pid)
        with tempfile.TemporaryFile() as body:
            seconds, size = export(server, url, cookie, body)
            peak = max(memory_mb(pid) for pid in workers)
            body.seek(0)
            if kind == "CSV":
                lines = sum(chunk.count(b"\n") for chunk in iter(lambda: body.read(CHUNK), b""))
                check = f"{kind} export: one line per gift, {expected:,} and a header"
                problems = [] if lines == expected + 1 else [f"{lines:,} lines"]
            else:
                check = f"{kind} export: one row per gift, {expected:,}, and a header per sheet"
                problems = xlsx_problems(body, expected)
            scenario.checks[check] = problems
        scenario.detail |= {
            "rows": expected,
            "seconds": round(seconds, 1),
            "bytes": size,
            "rss_before_mb": round(before, 1),
        }
        return Measurement(expected / seconds, extra={"peak_rss_mb": peak})

    scenario = Scenario(key, label, "rows/s", measure, detail, once=True)
    return Group([scenario], [ratio])


def _never(_seconds: float) -> Measurement:
    raise AssertionError("an unavailable scenario is never measured")


def sign_in(server: Server, email: str, password: str) -> str:
    """Sign in on /staff/login as a browser does; returns the session's Cookie header."""
    conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
    try:
        conn.request("GET", "/staff/login")
        page = conn.getresponse()
        body = page.read()
        token = _TOKEN.search(body)
        if page.status != 200 or token is None:
            raise RuntimeError(f"GET /staff/login answered {page.status} with no form")
        form = {"csrf_token": token[1].decode(), "email": email, "password": password}
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": _session(page),
        }
        conn.request("POST", "/staff/login", urlencode(form), headers)
        answer = conn.getresponse()
        answer.read()
        if answer.status != 303:
            raise RuntimeError(f"signing in answered {answer.status}, not 303")
        return _session(answer)
    finally:
        conn.close()


def _session(response: http.client.HTTPResponse) -> str:
    cookies = [c.split(";")[0] for c in response.msg.get_all("Set-Cookie") or []]
    return "; ".join(c for c in cookies if c.startswith("session="))


def head_status(server: Server, url: str, cookie: str) -> int:
    """The status of ``url`` for the signed-in staff member (HEAD: no rows are made)."""
    conn = http.client.HTTPConnection(server.host, server.port, timeout=60)
    try:
        conn.request("HEAD", url, headers={"Cookie": cookie})
        return conn.getresponse().status
    finally:
        conn.close()


def export(server: Server, url: str, cookie: str, body: BinaryIO) -> tuple[float, int]:
    """Download ``url`` whole into ``body``: (seconds, bytes). The timeout is for each read:
    a streamed export sends its first bytes at once however long it takes in all."""
    conn = http.client.HTTPConnection(server.host, server.port, timeout=600)
    started = time.perf_counter()
    size = 0
    try:
        conn.request("GET", url, headers={"Cookie": cookie})
        response = conn.getresponse()
        if response.status != 200:
            raise RuntimeError(f"GET {url} answered {response.status}")
        while chunk := response.read(CHUNK):
            size += len(chunk)
            body.write(chunk)
    finally:
        conn.close()
    return time.perf_counter() - started, size


def xlsx_problems(body: BinaryIO, expected: int) -> list[str]:
    """What is wrong with the .xlsx in ``body`` for ``expected`` gifts: not a zip, a sheet
    that fails its CRC, or another count of rows than the gifts and a header per sheet."""
    try:
        with zipfile.ZipFile(body) as archive:
            sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
            rows = sum(_rows(archive, name) for name in sheets)
    except (zipfile.BadZipFile, zlib.error, OSError) as exc:
        return [repr(exc)]
    if not sheets or rows != expected + len(sheets):
        return [f"{rows:,} rows in {len(sheets)} sheets"]
    return []


def _rows(archive: zipfile.ZipFile, name: str) -> int:
    """The ``<row`` elements of one sheet, read to its end (which checks its CRC)."""
    rows, tail = 0, b""
    with archive.open(name) as sheet:
        while chunk := sheet.read(CHUNK):
            data = tail + chunk
            rows += data.count(b"<row ")
            tail = data[-4:]  # too short to hold a whole "<row ", so none counted twice
    return rows
