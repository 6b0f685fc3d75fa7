"""Demo data for ``flask demo load``: not a use case of the site, so outside ``services``.

``load`` adds the campaigns, reports and paid gifts; ``images`` draws their pictures.
"""

from campaigns.demo.load import load_demo, plan_gifts

__all__ = ["load_demo", "plan_gifts"]
