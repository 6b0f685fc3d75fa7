"""The way out to Stripe: a host that reaches the internet only through a proxy names it in
the environment (``HTTPS_PROXY``, ``NO_PROXY``), and the app's Stripe client goes through
it (the environment is read once, when the client is made, not on every call); an object's
id is always one segment of the path it is asked at."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from campaigns.payments import ProviderError
from campaigns.payments.stripe_provider import StripeProvider
from tests.fake_stripe import FakeStripe
from tests.tcp_proxy import DroppingProxy

PROXY_NAMES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture
def proxy(fake_stripe: FakeStripe, monkeypatch) -> Iterator[DroppingProxy]:
    """A forwarding proxy to the fake (a plain-HTTP proxy needs no more: the fake reads
    the path of the absolute URL it is sent), and an environment naming no other proxy."""
    for name in PROXY_NAMES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    address = urlsplit(fake_stripe.url)
    forwarder = DroppingProxy((address.hostname, address.port))
    yield forwarder
    forwarder.close()


def ask_stripe(fake_stripe: FakeStripe) -> None:
    """One API call: a Checkout Session that does not exist (Stripe answers 404)."""
    provider = StripeProvider(fake_stripe.api_key, None, fake_stripe.url)
    with pytest.raises(ProviderError, match=r"No such checkout\.session"):
        provider.retrieve_checkout("cs_test_nobody")


def test_stripe_is_asked_through_the_proxy_the_environment_names(fake_stripe, proxy, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")

    ask_stripe(fake_stripe)

    assert proxy.accepted == 1
    assert [r.path for r in fake_stripe.requests] == ["/v1/checkout/sessions/cs_test_nobody"]


def test_a_host_the_environment_exempts_is_asked_directly(fake_stripe, proxy, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")

    ask_stripe(fake_stripe)

    assert proxy.accepted == 0
    assert len(fake_stripe.requests) == 1


def test_without_a_proxy_stripe_is_asked_directly(fake_stripe, proxy):
    ask_stripe(fake_stripe)

    assert proxy.accepted == 0
    assert len(fake_stripe.requests) == 1


def test_an_id_is_one_segment_of_the_path_whatever_it_holds(fake_stripe, proxy):
    provider = StripeProvider(fake_stripe.api_key, None, fake_stripe.url)

    with pytest.raises(ProviderError, match="Unrecognized request URL"):
        provider.retrieve_checkout("cs_test_1/line_items")

    (asked,) = fake_stripe.requests
    assert asked.path == "/v1/checkout/sessions/cs_test_1%2Fline_items"
