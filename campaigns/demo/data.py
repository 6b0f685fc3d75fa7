"""The demo's prose and figures, read from ``data.json`` beside this module.

The file holds what a charity would rewrite: its campaigns with their options, its field
reports with their figures and photo descriptions, and the names of its donors'
communities. Its keys are the field names of the specs below; a field with a default may
be left out. Markdown texts (a campaign's ``story``, a report's ``body``) are lists of
lines, so the file reads like the page; each line gets its newline back. The texts are
English; each text-bearing entry carries ``translations`` into the other languages
(``TRANSLATED_INTO``), written as the charity would write them, not word for word.

Reading checks the whole shape before anything is stored and raises DemoDataError naming
the first bad place (``campaigns[2].options[0].unit_price: expected a whole number, got
text``), so a typo in the file is found where it is, not as a KeyError deep in a load.
The file ships in the package (``package-data`` in pyproject.toml) and is read through
``importlib.resources``, so an installed wheel finds it as an editable checkout does.
"""

from __future__ import annotations

import json
import types
import typing
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from functools import cache
from importlib import resources
from typing import Any

from campaigns.demo.images import THEMES
from campaigns.models.campaign import Designation
from campaigns.money import CURRENCIES

DATA_FILE = "data.json"
LINES = {"lines": True}  # field metadata: a text written in the file as a list of lines
# The languages the demo's texts are translated into; the file itself is in English.
TRANSLATED_INTO = ("tr", "ar")


class DemoDataError(ValueError):
    """The data file does not have the expected shape; the message says where."""


@dataclass(frozen=True)
class OptionTexts:
    """An option's texts in another language."""

    label: str
    description: str
    on_behalf_label: str = ""


@dataclass(frozen=True)
class OptionSpec:
    """A demo DonationOption, plus how demo donors choose it."""

    label: str  # unique across the demo: demo stock is counted by label
    description: str
    unit_price: int  # minor units
    units: int = 1
    stock: int | None = None
    needs_on_behalf: bool = False
    needs_proxy: bool = False  # the donor authorises the charity to sacrifice (vekalet)
    shares_per_animal: int | None = None  # shares of one animal: 1 a sheep, 7 a cow
    max_quantity: int = 10
    on_behalf_label: str = ""  # what the on-behalf name is for ("Name on the well's plate")
    plate_names: tuple[str, ...] = ()  # when set, each unit's on-behalf name is one of these
    weight: int = 1  # how often demo donors pick it
    designations: str = ""  # comma-separated, a subset of the campaign's; "" for all
    translations: dict[str, OptionTexts] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class SuggestionSpec:
    """A suggested amount on the donation form (minor units) and what it does."""

    amount: int
    impact: str = ""


@dataclass(frozen=True)
class QuestionSpec:
    """One question and answer of a campaign's FAQ."""

    question: str
    answer: str


@dataclass(frozen=True)
class CampaignTexts:
    """A campaign's texts in another language; ``impacts`` in the order of the
    campaign's ``suggested_amounts``."""

    title: str
    summary: str
    story: str = field(metadata=LINES)
    cover_alt: str
    unit_label: str
    next_steps: str = ""
    faq: tuple[QuestionSpec, ...] = ()
    impacts: tuple[str, ...] = ()


@dataclass(frozen=True)
class CampaignSpec:
    """A demo Campaign with its options, plus how demo donors give to it."""

    slug: str
    title: str
    summary: str
    story: str = field(metadata=LINES)
    cover_theme: str  # a theme of images.THEMES
    cover_alt: str
    currency: str
    goal_amount: int  # minor units
    units_goal: int
    unit_label: str
    started_days_ago: int
    ends_in_days: int
    designations: str  # comma-separated Designation values, as Campaign stores them
    options: tuple[OptionSpec, ...]
    custom_amounts: tuple[int, ...]  # whole units of the currency, for custom gifts
    custom_share: float  # share of demo gifts given as a custom amount
    weight: int  # share of all demo gifts
    translations: dict[str, CampaignTexts] = field(default_factory=dict, hash=False)
    unit_price: int | None = None  # minor units: a custom amount counts units by it
    suggested_amounts: tuple[SuggestionSpec, ...] = ()
    ends_on: str = ""  # a fixed closing day (ISO date) instead: Qurban closes before Eid
    next_steps: str = ""  # what happens after a gift (thank-you page and e-mail)
    faq: tuple[QuestionSpec, ...] = ()


@dataclass(frozen=True)
class FigureSpec:
    """A ReportFigure."""

    label: str
    value: int
    note: str = ""  # for whoever edits the file (a placeholder, where a value comes from)
    # The label, by language.
    translations: dict[str, str] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class PhotoSpec:
    """A ReportImage, drawn when its report is created."""

    theme: str  # a theme of images.THEMES
    alt: str
    # The alt text, by language.
    translations: dict[str, str] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class ReportTexts:
    """A report's texts in another language."""

    title: str
    summary: str
    body: str = field(metadata=LINES)
    place: str


@dataclass(frozen=True)
class ReportSpec:
    """A published demo ActivityReport."""

    slug: str
    title: str
    summary: str
    body: str = field(metadata=LINES)
    place: str
    days_ago: int
    figures: tuple[FigureSpec, ...]
    photos: tuple[PhotoSpec, ...]
    campaign_slugs: tuple[str, ...]
    translations: dict[str, ReportTexts] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Community:
    """Names from one of the communities that give to the charity."""

    region: str
    weight: int  # share of the donors
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]


@dataclass(frozen=True)
class DemoData:
    """Everything in the data file."""

    campaigns: tuple[CampaignSpec, ...]
    reports: tuple[ReportSpec, ...]
    communities: tuple[Community, ...]


@cache
def demo_data() -> DemoData:
    """The shipped data file, read and checked once per process."""
    text = resources.files(__package__).joinpath(DATA_FILE).read_text(encoding="utf-8")
    return parse_data(text, DATA_FILE)


def parse_data(text: str, source: str) -> DemoData:
    """Build the specs from the JSON ``text``; DemoDataError names ``source`` and the place."""
    try:
        data = _build(DemoData, json.loads(text), "")
        _check(data)
    except json.JSONDecodeError as e:
        raise DemoDataError(f"{source}: not valid JSON: {e}") from None
    except DemoDataError as e:
        raise DemoDataError(f"{source}: {e}") from None
    return data


def _kind(raw: object) -> str:
    if isinstance(raw, bool):
        return "true/false"
    if isinstance(raw, int | float):
        return "a number"
    kinds = {dict: "an object", list: "a list", str: "text", type(None): "null"}
    return kinds.get(type(raw), type(raw).__name__)


def _build(cls: type, raw: object, where: str) -> Any:
    """An instance of the dataclass ``cls`` from the JSON object ``raw`` found at ``where``."""
    if not isinstance(raw, dict):
        raise DemoDataError(f"{where or 'the file'}: expected an object, got {_kind(raw)}")
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise DemoDataError(
            f"{where or 'the file'}: unknown key {unknown[0]!r} (known: {', '.join(known)})"
        )
    hints = typing.get_type_hints(cls)
    values = {}
    for name, f in known.items():
        here = f"{where}.{name}" if where else name
        if name not in raw:
            if f.default is MISSING and f.default_factory is MISSING:
                raise DemoDataError(f"{here}: missing")
            continue
        if f.metadata.get("lines"):
            lines = _value(tuple[str, ...], raw[name], here)
            values[name] = "".join(f"{line}\n" for line in lines)
        else:
            values[name] = _value(hints[name], raw[name], here)
    return cls(**values)


def _value(tp: Any, raw: object, where: str) -> Any:
    """``raw`` checked against the type ``tp`` of a spec field (tuples from lists)."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is dict:  # always dict[str, X] in the specs: translations by language
        if not isinstance(raw, dict):
            raise DemoDataError(f"{where}: expected an object, got {_kind(raw)}")
        return {key: _value(args[1], item, f"{where}.{key}") for key, item in raw.items()}
    if origin is tuple:  # always tuple[X, ...] in the specs
        if not isinstance(raw, list):
            raise DemoDataError(f"{where}: expected a list, got {_kind(raw)}")
        return tuple(_value(args[0], item, f"{where}[{i}]") for i, item in enumerate(raw))
    if origin in (typing.Union, types.UnionType):  # always X | None in the specs
        if raw is None:
            return None
        (inner,) = (a for a in args if a is not type(None))
        return _value(inner, raw, where)
    if is_dataclass(tp):
        return _build(tp, raw, where)
    expected = {
        str: ("text", isinstance(raw, str)),
        bool: ("true or false", isinstance(raw, bool)),
        int: ("a whole number", isinstance(raw, int) and not isinstance(raw, bool)),
        float: ("a number", isinstance(raw, int | float) and not isinstance(raw, bool)),
    }
    if tp not in expected:
        raise TypeError(f"no reader for {tp!r}")  # a spec field of a new type
    name, ok = expected[tp]
    if not ok:
        raise DemoDataError(f"{where}: expected {name}, got {_kind(raw)}")
    return float(raw) if tp is float else raw


def _check(data: DemoData) -> None:
    """Rules across fields that the types alone do not carry; the first broken one raises."""
    slugs = [c.slug for c in data.campaigns]
    labels = [o.label for c in data.campaigns for o in c.options]
    designations = {d.value for d in Designation}
    rules = [
        (bool(data.campaigns and data.communities), "campaigns, communities: give at least one"),
        (len(set(slugs)) == len(slugs), "campaigns: two campaigns have the same slug"),
        (len(set(labels)) == len(labels), "campaigns: two options have the same label"),
        (
            len({r.slug for r in data.reports}) == len(data.reports),
            "reports: two reports have the same slug",
        ),
    ]
    for i, c in enumerate(data.campaigns):
        at = f"campaigns[{i}]"
        rules += [
            (c.currency in CURRENCIES, f"{at}.currency: {c.currency!r} is not a known currency"),
            (
                bool(c.designations) and set(c.designations.split(",")) <= designations,
                f"{at}.designations: use {', '.join(sorted(designations))}, comma-separated",
            ),
            (c.cover_theme in THEMES, f"{at}.cover_theme: {c.cover_theme!r} is not a theme"),
            (bool(c.options), f"{at}.options: give at least one"),
            (bool(c.custom_amounts), f"{at}.custom_amounts: give at least one"),
            (0 <= c.custom_share <= 1, f"{at}.custom_share: a share from 0 to 1"),
            (c.weight > 0, f"{at}.weight: must be positive"),
        ]
        rules += [
            (c.unit_price is None or c.unit_price > 0, f"{at}.unit_price: must be positive"),
            (len(c.suggested_amounts) <= 4, f"{at}.suggested_amounts: four at most"),
        ]
        for j, o in enumerate(c.options):
            rules += [
                (o.unit_price > 0 and o.units > 0, f"{at}.options[{j}]: price and units > 0"),
                (o.max_quantity > 0 and o.weight > 0, f"{at}.options[{j}]: quantity, weight > 0"),
                (
                    set(o.designations.split(",")) - {""} <= set(c.designations.split(",")),
                    f"{at}.options[{j}].designations: only the campaign's",
                ),
            ]
    for i, r in enumerate(data.reports):
        for slug in r.campaign_slugs:
            rules.append((slug in slugs, f"reports[{i}].campaign_slugs: no campaign {slug!r}"))
        for j, p in enumerate(r.photos):
            rules.append((p.theme in THEMES, f"reports[{i}].photos[{j}]: no theme {p.theme!r}"))
    for i, community in enumerate(data.communities):
        rules.append(
            (
                community.weight > 0 and bool(community.first_names and community.last_names),
                f"communities[{i}]: a positive weight, first and last names",
            )
        )
    translated = [(f"campaigns[{i}]", c) for i, c in enumerate(data.campaigns)]
    translated += [
        (f"campaigns[{i}].options[{j}]", o)
        for i, c in enumerate(data.campaigns)
        for j, o in enumerate(c.options)
    ]
    translated += [(f"reports[{i}]", r) for i, r in enumerate(data.reports)]
    translated += [
        (f"reports[{i}].{kind}[{j}]", item)
        for i, r in enumerate(data.reports)
        for kind, items in (("figures", r.figures), ("photos", r.photos))
        for j, item in enumerate(items)
    ]
    for at, spec in translated:
        rules.append(
            (
                set(spec.translations) <= set(TRANSLATED_INTO),
                f"{at}.translations: languages are {', '.join(TRANSLATED_INTO)}",
            )
        )
    for ok, message in rules:
        if not ok:
            raise DemoDataError(message)
