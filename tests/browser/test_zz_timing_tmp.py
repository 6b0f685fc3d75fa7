import time, pytest
from tests.browser.axe import axe_violations, AXE_SOURCE, RUN, WCAG_AA
from tests.browser.test_accessibility_browser import site  # noqa
pytestmark = [pytest.mark.browser, pytest.mark.shared_data]
def test_timing(site, visit, page):
    t=time.time(); visit("/"); print("visit", time.time()-t)
    t=time.time(); page.evaluate(AXE_SOURCE); print("inject", time.time()-t)
    t=time.time(); page.evaluate(RUN, WCAG_AA); print("run", time.time()-t)
    t=time.time(); page.evaluate(RUN, WCAG_AA); print("run2", time.time()-t)
    t=time.time(); page.goto("/"); print("goto", time.time()-t)
