"""The run's table: printed, and returned as the dict written to bench-output/latest.json."""

from __future__ import annotations

from datetime import UTC, datetime

from benchmarks.scenario import Ratio, Scenario

CPU_NOTE = (
    "Note: this machine has {cpus} CPU(s), shared by the load generator and the servers "
    "(and anything else running); absolute figures are lower and noisier than on a real "
    "server. The ratios are what the targets judge."
)
NOT_AVAILABLE = "not available"
FAILED = "failed"


def report(items: list[Scenario], targets: list[Ratio], setup: dict, say=print) -> dict:
    """Print the table and return it as a dict (written to latest.json)."""
    by_key = {s.key: s for s in items}
    say("")
    say(
        f"{setup['donations']:,} donations on {setup['database']}; gunicorn {setup['workers']} "
        f"{setup['worker_class']} workers; {setup['load_generator']}; "
        f"median of {setup['rounds']} interleaved rounds of {setup['duration']:g} s"
        + ("; some scenarios once, after them" if any(s.once for s in items) else "")
    )
    say("")
    say(f"  {'scenario':<44} {'median':>12}  {'unit':<12} rounds")
    for s in items:
        if s.unavailable:
            say(f"  {s.label:<44} {NOT_AVAILABLE:>12}  ({s.unavailable})")
            continue
        if s.median is None:
            say(f"  {s.label:<44} {FAILED:>12}  (see the checks)")
            continue
        rounds = " ".join(f"{r.value:.1f}" for r in s.results)
        errors = f"  ({s.errors} errors!)" if s.errors else ""
        say(f"  {s.label:<44} {s.median:12.1f}  {s.unit:<12} {rounds}{errors}")
    ratio_rows = [_ratio_row(ratio, by_key) for ratio in targets]
    if ratio_rows:
        say("")
        say(f"  {'ratio':<56} {'value':>10}  {'target':<10} result")
    for row in ratio_rows:
        value = NOT_AVAILABLE if row["value"] is None else f"{row['value']:.3f}"
        result = {True: "PASS", False: "FAIL", None: "n/a"}[row["passed"]]
        say(f"  {row['label']:<56} {value:>10}  {row['target_text']:<10} {result}")
    check_rows = [
        {"label": label, "passed": not problems, "problems": problems}
        for s in items
        for label, problems in s.checks.items()
    ]
    if check_rows:
        say("")
        say(f"  {'check':<86} result")
    for row in check_rows:
        say(f"  {row['label']:<86} {'PASS' if row['passed'] else 'FAIL'}")
        for problem in row["problems"]:
            say(f"      {problem}")
    notes = [note for s in items for note in s.notes]
    if notes:
        say("")
    for note in notes:
        say(note)
    say("")
    say(CPU_NOTE.format(cpus=setup["cpus"]))
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "setup": setup,
        "scenarios": [_scenario_row(s) for s in items],
        "ratios": ratio_rows,
        "checks": check_rows,
        "notes": notes,
        "note": CPU_NOTE.format(cpus=setup["cpus"]),
    }


def _scenario_row(s: Scenario) -> dict:
    row = {"key": s.key, "label": s.label, "unit": s.unit}
    if s.unavailable:
        return row | {"available": False, "reason": s.unavailable, **s.detail}
    extra = sorted({name for r in s.results for name in r.extra})
    return row | {
        "available": True,
        "median": None if s.median is None else round(s.median, 3),
        "rounds": [round(r.value, 3) for r in s.results],
        **{name: round(s.figure(name), 3) for name in extra},
        "errors": s.errors,
        **s.detail,
    }


def _ratio_row(ratio: Ratio, by_key: dict[str, Scenario]) -> dict:
    """A ratio's row: passed is None when it could not be judged (an operand missing)."""
    value = ratio.value(by_key)
    return {
        "label": ratio.label,
        "numerator": ratio.numerator,
        "denominator": ratio.denominator,
        "target": ratio.target,
        "at_most": ratio.at_most,
        "target_text": ratio.target_text,
        "value": None if value is None else round(value, 3),
        "passed": None if value is None else ratio.passes(value),
    }
