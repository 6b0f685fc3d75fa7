"""The baseline: a bare Flask app rendering a page as large as the campaign page, with no
database, no extensions and no blueprints.

The template is the campaign page's own HTML (fetched once by the harness) with a few of its
strings turned back into variables, so Jinja does comparable work per request. Served by
gunicorn as ``benchmarks.bare_app:app`` with BENCH_BARE_TEMPLATE (the template's path) and
BENCH_BARE_VARIABLES (JSON: the variables' values) in the environment.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from flask import Flask, render_template
from jinja2 import DictLoader
from markupsafe import escape


def make_template(html: str, variables: dict[str, str]) -> str:
    """A Jinja template that renders back to ``html``: each occurrence of a variable's
    (escaped) value becomes ``{{ name }}``; everything else is kept verbatim in raw blocks."""
    names = {str(escape(value)): name for name, value in variables.items()}
    pattern = re.compile("|".join(map(re.escape, sorted(names, key=len, reverse=True))))
    body = pattern.sub(lambda m: f"{{% endraw %}}{{{{ {names[m[0]]} }}}}{{% raw %}}", html)
    return "{% raw %}" + body + "{% endraw %}"


def create_bare_app(template: str, variables: dict[str, str]) -> Flask:
    """A Flask app serving ``template`` at / and a trivial /healthz."""
    app = Flask(__name__)
    app.jinja_loader = DictLoader({"page.html": template})

    @app.get("/")
    def page() -> str:
        return render_template("page.html", **variables)

    @app.get("/healthz")
    def healthz() -> dict:
        return {"status": "ok"}

    return app


if "BENCH_BARE_TEMPLATE" in os.environ:  # under gunicorn
    app = create_bare_app(
        Path(os.environ["BENCH_BARE_TEMPLATE"]).read_text(encoding="utf-8"),
        json.loads(os.environ["BENCH_BARE_VARIABLES"]),
    )
