"""What a benchmark run is made of: scenarios (one figure each), ratios between them with
their targets, and the groups that build them (``--only`` picks groups by name).

A group is a function ``group(bench) -> Group``; it may start servers on ``bench.stack``,
which stops them when the run ends. ``benchmarks/run.py`` lists every group in GROUPS.
"""

from __future__ import annotations

import contextlib
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.dataset import Dataset
from benchmarks.loadgen import LoadOptions, LoadResult
from benchmarks.servers import OUTPUT_DIR, Server, ServerOptions, gunicorn


@dataclass(frozen=True)
class Measurement:
    """One measurement of a scenario: its figure in the scenario's unit, the requests that
    failed, and other figures worth keeping (peak memory, latency percentiles)."""

    value: float
    errors: int = 0
    extra: dict[str, float] = field(default_factory=dict)

    @classmethod
    def of(cls, result: LoadResult) -> Measurement:
        return cls(result.requests_per_second, result.errors)


@dataclass
class Scenario:
    """One figure in the table: what is measured, in which unit, and how.

    ``measure(seconds)`` runs the scenario for about that long and returns a Measurement;
    it is called once to warm up, then once per round, interleaved with the other
    scenarios. A ``once`` scenario (a fixed batch that changes the data, or one too long
    to repeat) is measured once, after the rounds, with no warm-up. A scenario that
    cannot run on this build (a route that answers 404) says why in ``unavailable`` and
    is reported "not available": not a failure.
    """

    key: str
    label: str
    unit: str
    measure: Callable[[float], Measurement]
    detail: dict = field(default_factory=dict)  # shown in the JSON (path, page size, ...)
    once: bool = False
    unavailable: str = ""
    notes: list[str] = field(default_factory=list)  # printed under the table
    # label -> what is wrong (an empty list passes); printed PASS/FAIL, and FAIL exits 1
    checks: dict[str, list[str]] = field(default_factory=dict)
    results: list[Measurement] = field(default_factory=list)

    @property
    def median(self) -> float | None:
        if not self.results:
            return None
        return statistics.median(r.value for r in self.results)

    @property
    def errors(self) -> int:
        return sum(r.errors for r in self.results)

    def figure(self, name: str) -> float | None:
        """The median of the scenario (``name`` empty) or of one of its extra figures."""
        if not name:
            return self.median
        values = [r.extra[name] for r in self.results if name in r.extra]
        return statistics.median(values) if values else None


def paired(
    first: Scenario, second: Scenario, run: Callable[[float], tuple[Measurement, Measurement]]
) -> None:
    """Measure two scenarios together, a ratio's numerator and its floor: ``run(seconds)``
    measures both side by side, their work alternating (a shared machine's drift, minutes
    long, falls on both alike), and returns both figures. Whichever of the two a round
    asks for first runs it; the other's figure is kept for when the round asks for it."""
    kept: dict[str, Measurement] = {}

    def measure_of(key: str) -> Callable[[float], Measurement]:
        def measure(seconds: float) -> Measurement:
            if key not in kept:
                kept[first.key], kept[second.key] = run(seconds)
            return kept.pop(key)

        return measure

    first.measure = measure_of(first.key)
    second.measure = measure_of(second.key)


def measured_by_pair(_seconds: float) -> Measurement:
    """A paired scenario's measure until ``paired`` sets it."""
    raise RuntimeError("a paired scenario is measured through paired()")


@dataclass(frozen=True)
class Ratio:
    """A target: ``numerator`` / ``denominator`` >= ``target`` (or <= with ``at_most``).

    Operands are scenario keys, or ``key.figure`` for one of a scenario's extra figures;
    with no denominator the numerator's figure itself is judged (a peak memory limit)."""

    label: str
    numerator: str
    denominator: str | None
    target: float
    at_most: bool = False

    def value(self, by_key: dict[str, Scenario]) -> float | None:
        """The ratio's value, None when an operand was not measured (not available)."""
        top = _operand(self.numerator, by_key)
        if self.denominator is None:
            return top
        bottom = _operand(self.denominator, by_key)
        if top is None or not bottom:
            return None
        return top / bottom

    def passes(self, value: float) -> bool:
        return value <= self.target if self.at_most else value >= self.target

    @property
    def target_text(self) -> str:
        return f"{'<=' if self.at_most else '>='} {self.target:g}"


def _operand(name: str, by_key: dict[str, Scenario]) -> float | None:
    key, _, figure = name.partition(".")
    scenario = by_key.get(key)
    return scenario.figure(figure) if scenario is not None else None


@dataclass
class Group:
    """What one group adds to the run: its scenarios and the targets between them."""

    scenarios: list[Scenario]
    ratios: list[Ratio] = field(default_factory=list)


@dataclass
class Bench:
    """What the groups are built from: the data, the settings, and a stack that stops
    every server and drops the database when the run ends, however it ends."""

    dataset: Dataset
    load: LoadOptions
    servers: ServerOptions
    stack: contextlib.ExitStack
    page: str = "/campaigns/{slug}"  # the campaign page, "{slug}" for the campaign's slug
    webhook_events: int = 0  # 0: no webhook scenarios
    webhook_load: LoadOptions = field(default_factory=LoadOptions)
    say: Callable[[str], None] = print
    output: Path = OUTPUT_DIR  # latest.json, the bare page's template, logs/ (servers')
    bank_lines: int = 10_000  # the bank statement's lines, half paying a pledge
    rounds: int = 3  # measured rounds of each repeated scenario (after its warm-up)

    def serve(self, name: str, app: str, env: dict[str, str]) -> Server:
        """``app`` under gunicorn with the run's server options until the run ends; its
        log goes to logs/<name>.log."""
        return self.stack.enter_context(
            gunicorn(name, app, env, self.servers, "/healthz", self.output / "logs")
        )


def measure_all(
    items: list[Scenario], rounds: int, seconds: float, warmup: float, say=print
) -> None:
    """Warm each scenario up, then run ``rounds`` rounds, each scenario once per round, so
    a noisy neighbour on this shared machine hurts all of them alike. Each round starts one
    scenario later than the one before, so no scenario always runs first or last.
    ``once`` scenarios follow, one run each; unavailable ones are skipped."""
    ready = [s for s in items if not s.unavailable]
    repeated = [s for s in ready if not s.once]
    for scenario in repeated:
        say(f"  warming up {scenario.label} ({warmup:.0f} s)")
        scenario.measure(warmup)
    for number in range(1, rounds + 1):
        shift = (number - 1) % max(len(repeated), 1)
        for scenario in repeated[shift:] + repeated[:shift]:
            _run(scenario, seconds, f"round {number}/{rounds}", say)
    for scenario in (s for s in ready if s.once):
        say(f"  once: {scenario.label} ...")
        _run(scenario, seconds, "once", say)


def _run(scenario: Scenario, seconds: float, when: str, say) -> None:
    """One measurement. One that fails (a timeout, a refused connection, a wrong answer)
    fails the scenario's check, so the run exits 1, but the others are still measured and
    the report still written."""
    try:
        result = scenario.measure(seconds)
    except (OSError, RuntimeError) as exc:
        scenario.checks[f"{scenario.label}: measured {when} without failing"] = [repr(exc)]
        say(f"  {when}: {scenario.label:<44} FAILED: {exc!r}")
        return
    scenario.results.append(result)
    errors = f", {result.errors} errors" if result.errors else ""
    say(f"  {when}: {scenario.label:<44} {result.value:10.1f} {scenario.unit}{errors}")
