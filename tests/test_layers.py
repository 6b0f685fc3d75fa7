"""The layers of docs/architecture.md, checked on every module's imports (top-level and
inside functions): a new import that runs against them fails here, not in review."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "campaigns"
BLUEPRINTS = (
    "api",
    "demo_checkout",
    "donations",
    "donor",
    "public",
    "receipts",
    "staff",
    "webhooks",
)
# Services sub-packages in the order their imports run: each may import those before it.
SERVICE_ORDER = {"books": 1, "mail": 2, "people": 3, "content": 3, "giving": 4}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports, as dotted names (``from a import b`` gives a.b too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


MODULES = {module_name(p): imports_of(p) for p in sorted(PACKAGE.rglob("*.py"))}


def offenders(where: str, forbidden) -> list[str]:
    """``module -> import`` for each module under ``where`` importing what ``forbidden``
    (a predicate on the importing module and the imported name) refuses."""
    return sorted(
        f"{module} -> {name}"
        for module, names in MODULES.items()
        if module == where or module.startswith(where + ".")
        for name in names
        if forbidden(module, name)
    )


def under(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def service_package(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) > 2 and parts[:2] == ["campaigns", "services"] and parts[2] in SERVICE_ORDER:
        return parts[2]
    return None


def test_the_layout_is_what_the_rules_below_know():
    assert {m.split(".")[2] for m in MODULES if service_package(m)} == set(SERVICE_ORDER)
    for blueprint in BLUEPRINTS:
        assert f"campaigns.{blueprint}" in MODULES


def test_services_packages_import_only_those_before_them():
    def forbidden(module: str, name: str) -> bool:
        mine, theirs = service_package(module), service_package(name)
        if theirs is None or theirs == mine:
            return False
        if mine is None:  # the shared services (sql, audit, FormInvalid) import none
            return True
        return SERVICE_ORDER[theirs] >= SERVICE_ORDER[mine]

    assert offenders("campaigns.services", forbidden) == []


@pytest.mark.parametrize(
    ("where", "refused"),
    [
        ("campaigns.services", (*(f"campaigns.{b}" for b in BLUEPRINTS), "flask.request")),
        ("campaigns.models", ("campaigns.services", "campaigns.payments", "flask")),
        ("campaigns.payments", ("campaigns.models", "campaigns.services")),
        ("campaigns.text", ("campaigns.models", "campaigns.services")),
        ("campaigns.money", ("campaigns.models", "campaigns.services")),
        ("campaigns.settings", ("campaigns.models", "campaigns.services", "flask")),
        ("campaigns.statements", ("campaigns.models", "campaigns.services", "flask.request")),
    ],
)
def test_lower_layers_import_nothing_above_them(where, refused):
    assert offenders(where, lambda _module, name: under(name, *refused)) == []


def test_services_take_settings_as_arguments_never_from_the_app():
    """Configuration reaches a service as an argument (``campaigns.settings.Settings``,
    handed in by the edge); no service reads ``current_app`` or the edge's accessor."""
    refused = ("flask.current_app", "flask.g", "campaigns.app_settings")
    assert offenders("campaigns.services", lambda _module, name: under(name, *refused)) == []


@pytest.mark.parametrize("blueprint", BLUEPRINTS)
def test_blueprints_never_import_each_other(blueprint):
    others = tuple(f"campaigns.{b}" for b in BLUEPRINTS if b != blueprint)
    assert offenders(f"campaigns.{blueprint}", lambda _m, name: under(name, *others)) == []


@pytest.mark.parametrize(
    ("library", "only_in"),
    [
        ("stripe", "campaigns.payments.stripe_provider"),
        ("weasyprint", "campaigns.pdf"),
        ("mt940", "campaigns.statements.mt940"),
        ("lxml", "campaigns.statements.camt"),
        ("schwifty", "campaigns.settings"),
    ],
)
def test_one_module_imports_each_outside_library(library, only_in):
    importers = sorted(m for m, names in MODULES.items() if any(under(n, library) for n in names))
    assert importers == [only_in]
