"""The webhooks domain's pure rules: the catalogue, the projection, the SSRF guard and the retry schedule."""

from __future__ import annotations

import ipaddress
import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notification_service.webhooks import catalogue, retries
from notification_service.webhooks.projection import Audience, in_scope, project
from notification_service.webhooks.targets import TargetRefused, check_target, refused_address, split_url

# --- SSRF ---------------------------------------------------------------------------------------------------

NON_PUBLIC_NETWORKS = [
    ipaddress.ip_network(network)
    for network in (
        "127.0.0.0/8",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "169.254.0.0/16",
        "100.64.0.0/10",
        "0.0.0.0/8",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
        "ff00::/8",
        "::/128",
    )
]


@st.composite
def non_public_addresses(draw: st.DrawFn) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    network = draw(st.sampled_from(NON_PUBLIC_NETWORKS))
    offset = draw(st.integers(min_value=0, max_value=network.num_addresses - 1))
    address = network[offset]
    if isinstance(address, ipaddress.IPv4Address) and draw(st.booleans()):
        return ipaddress.IPv6Address(f"::ffff:{address}")  # the same address, mapped into IPv6
    return address


@given(non_public_addresses())
def test_every_loopback_private_link_local_multicast_or_reserved_address_is_refused(address) -> None:
    assert refused_address(address) is not None


@given(non_public_addresses())
async def test_a_url_naming_such_an_address_is_refused_unless_private_targets_are_allowed(address) -> None:
    host = f"[{address}]" if address.version == 6 else str(address)
    with pytest.raises(TargetRefused) as refused:
        await check_target(f"https://{host}:8443/hook", allow_private=False)
    assert refused.value.reason == "url_not_public"
    await check_target(f"https://{host}:8443/hook", allow_private=True)


@pytest.mark.parametrize("address", ["8.8.8.8", "114.114.114.114", "2400:3200::1", "::ffff:8.8.8.8"])
def test_public_addresses_pass(address: str) -> None:
    assert refused_address(ipaddress.ip_address(address)) is None


async def test_a_name_resolving_to_loopback_is_refused() -> None:
    with pytest.raises(TargetRefused):
        await check_target("http://localhost:9/hook", allow_private=False)


@pytest.mark.parametrize(
    "url",
    ["ftp://example.org/hook", "file:///etc/passwd", "https://user:pw@example.org/", "https:///nohost", "gopher://x"],
)
def test_only_plain_http_and_https_urls_are_targets(url: str) -> None:
    with pytest.raises(TargetRefused):
        split_url(url)


# --- catalogue and projection -------------------------------------------------------------------------------


@pytest.mark.parametrize("pattern", ["#", "*.*", "evaluation.*", "evaluation.#"])
def test_no_pattern_reaches_the_residents_rating_code(pattern: str) -> None:
    assert not catalogue.wants([pattern], "evaluation.rating_code_issued")
    assert project("evaluation.rating_code_issued", {"code": "123456"}, Audience.district_admin) is None


@pytest.mark.parametrize("pattern", ["ticket.unknown", "staff.*", "Ticket.created", "ticket..created", "", "a" * 101])
def test_patterns_matching_nothing_subscribable_are_refused(pattern: str) -> None:
    with pytest.raises(catalogue.PatternError):
        catalogue.check_pattern(pattern)


def test_patterns_with_wildcards_are_taken() -> None:
    assert catalogue.check_patterns(["ticket.*", "ticket.*", "#"]) == ["ticket.*", "#"]
    assert catalogue.wants(["ticket.sla_*"], "ticket.sla_warning") is False  # AMQP words, not globs
    assert catalogue.wants(["ticket.*"], "ticket.sla_warning")


def closed_ticket(**overrides) -> dict:
    return {
        "ticket_id": "t-1",
        "subdistrict_id": "s-1",
        "resident_id": "resident-7",
        "resident_names": ["欧阳娜娜", "王 阿姨"],
        "completed_by": "worker-1",
        "closed_at": "2026-12-04T10:00:00+00:00",
        **overrides,
    }


names = st.text(alphabet="欧阳娜王李张明华", min_size=2, max_size=4)


@given(names, st.sampled_from(list(Audience)))
def test_a_closed_tickets_resident_names_never_leave(name: str, audience: Audience) -> None:
    data = project("ticket.closed", closed_ticket(resident_names=[name]), audience)
    assert data is not None and "resident_names" not in data and name not in repr(data)


@given(names)
def test_free_text_is_masked_with_the_tickets_names(name: str) -> None:
    data = project(
        "ticket.escalated",
        closed_ticket(resident_names=[name], reason=f"{name}来电13912345678，住502室"),
        Audience.district_admin,
    )
    assert data is not None
    assert name not in data["reason"] and "13912345678" not in data["reason"] and "502" not in data["reason"]


def test_integration_clients_see_no_resident_id_nor_a_resident_acting() -> None:
    data = closed_ticket(assigned_by="resident-7")
    client = project("ticket.assigned", data, Audience.integration_client)
    admin = project("ticket.assigned", data, Audience.district_admin)
    assert client is not None and admin is not None
    assert "resident_id" not in client and client["assigned_by"] is None and "resident-7" not in repr(client)
    assert admin["resident_id"] == "resident-7" and admin["assigned_by"] == "resident-7"


def test_fields_off_the_allow_list_do_not_travel() -> None:
    data = project("ticket.created", closed_ticket(resident_phone="13912345678", token="x"), Audience.district_admin)
    assert data is not None and "resident_phone" not in data and "token" not in data


def test_scope_filters_on_the_events_subdistrict() -> None:
    assert in_scope(None, {"subdistrict_id": "a"}) and in_scope(["a"], {"subdistrict_id": "a"})
    assert not in_scope(["b"], {"subdistrict_id": "a"}) and not in_scope(["b"], {})


# --- retries ------------------------------------------------------------------------------------------------

START = datetime(2026, 12, 4, 8, tzinfo=UTC)


@given(st.integers(min_value=1, max_value=10_000), st.integers(min_value=0, max_value=2**32))
def test_the_wait_is_full_jitter_under_the_exponential_ceiling(attempts: int, seed: int) -> None:
    wait = retries.backoff_seconds(attempts, base=5, cap=3600, rng=random.Random(seed))
    assert 0 <= wait <= min(3600, 5 * 2 ** (attempts - 1))


@given(st.floats(min_value=0, max_value=23.99), st.integers(min_value=1, max_value=100))
def test_a_delivery_is_tried_for_at_least_the_retry_window(hours: float, attempts: int) -> None:
    now = START + timedelta(hours=hours)
    following = retries.next_attempt(START, now, attempts, base=5, cap=3600, retry_hours=24)
    assert following is not None and following >= now


def test_after_the_retry_window_the_delivery_is_given_up() -> None:
    assert retries.next_attempt(START, START + timedelta(hours=26), 40, base=5, cap=3600, retry_hours=26) is None


def test_three_days_of_failure_disable() -> None:
    assert not retries.should_disable(None, START, disable_after_days=3)
    assert not retries.should_disable(START, START + timedelta(days=2, hours=23), disable_after_days=3)
    assert retries.should_disable(START, START + timedelta(days=3), disable_after_days=3)
