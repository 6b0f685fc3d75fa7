"""Money from donors: the form to a pending gift, settlement of what the provider
reports, refunds, reconciliation, webhooks, offline gifts, and donors' own pages.
Imports every other services package; none imports it."""
