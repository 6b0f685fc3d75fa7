"""Markdown written by staff (campaign stories, report bodies) as safe HTML.

The one place that turns Markdown into HTML: markdown-it-py renders it with raw HTML
switched off, then nh3 sanitises the result, so a story can never carry a script, an event
handler, a style or a ``javascript:`` link onto a public page, even if the renderer errs.
"""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_renderer = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])

ALLOWED_TAGS = {
    "a", "blockquote", "br", "code", "em", "h2", "h3", "h4", "h5", "h6", "hr", "img", "li",
    "ol", "p", "pre", "s", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}


# Each worker keeps the HTML of the texts it rendered last: a campaign's story is drawn
# again with every gift that changes its page (about once a second per worker on a busy
# morning), and a report's body with every visit, yet they change only when staff save
# them. The HTML depends on nothing but the text and the heading level.
MEMO_SIZE = 256


@lru_cache(maxsize=MEMO_SIZE)
def render_markdown(text: str, top_heading: int = 2) -> Markup:
    """``text`` (Markdown) as sanitised HTML, ready to place in a template.

    Headings move down so that ``#`` becomes ``<h{top_heading}>``: the page around the
    text already has its own ``<h1>`` (and maybe a section ``<h2>``).
    """
    tokens = _renderer.parse(text or "")
    shift = top_heading - 1
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            level = min(int(token.tag[1]) + shift, 6)
            token.tag = f"h{level}"
    html = _renderer.renderer.render(tokens, _renderer.options, {})
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)  # noqa: S704 - sanitised by nh3 just above
