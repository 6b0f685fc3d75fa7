"""axe-core in the browser tests: the engine (vendored, see vendor/README.md) is evaluated
in the page through the DevTools protocol, which the site's CSP (script-src 'self') does
not govern, and run with the WCAG 2.0, 2.1 and 2.2 rules of levels A and AA."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
RUN = """async tags => {
  await document.fonts.ready;  // contrast is measured on the text as finally drawn
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(" ") + ": " + n.failureSummary.replace(/\\s+/g, " ")),
  }));
}"""


def axe_violations(page: Page) -> list[str]:
    """What axe finds wrong on the page as it is now, one readable line per element."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} -- {node}"
        for v in page.evaluate(RUN, WCAG_AA)
        for node in v["nodes"]
    ]
