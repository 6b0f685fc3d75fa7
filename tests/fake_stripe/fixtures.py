"""The ``fake_stripe`` fixture: one server on 127.0.0.1 for the test session (a stable URL
for the app's ``STRIPE_API_BASE``), emptied before each test.

Register it with ``pytest_plugins = ["tests.fake_stripe.fixtures"]`` in ``tests/conftest.py``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .server import FakeStripe


@pytest.fixture(scope="session")
def fake_stripe_server() -> Iterator[FakeStripe]:
    with FakeStripe() as server:
        yield server


@pytest.fixture
def fake_stripe(fake_stripe_server: FakeStripe) -> FakeStripe:
    """The running fake, with no objects, requests or idempotency keys from earlier tests."""
    fake_stripe_server.reset()
    return fake_stripe_server
