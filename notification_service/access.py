"""Who may do what in the notification service: every rule about callers lives here, one section per domain."""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass

from notification_service.settings import NotificationSettings
from shared.auth import STATION_STAFF, Principal, Role, claim_id
from shared.errors import Forbidden, Unauthorized

# --- webhooks ---------------------------------------------------------------------------------------------
# Integration clients manage their own subscriptions, within their own subdistrict claim if they have
# one; district administrators manage all of them. Nobody else has any; someone who may not see a
# subscription learns nothing of it (404).


def webhook_audience(principal: Principal) -> str:
    """Whose a new subscription is, by role (webhooks.projection.Audience); district admins first."""
    if principal.is_district_admin:
        return Role.district_admin.value
    if principal.has_role(Role.integration_client):
        return Role.integration_client.value
    raise Forbidden("Only integration clients and district administrators have webhooks.", code="role_required")


def may_see_webhook(principal: Principal, owner_id: str) -> bool:
    if principal.is_district_admin:
        return True
    return principal.has_role(Role.integration_client) and owner_id == principal.user_id


def webhook_owner_filter(principal: Principal) -> str | None:
    """The owner a caller's lists are limited to; None: all (district admins)."""
    webhook_audience(principal)  # refuses the other roles
    return None if principal.is_district_admin else principal.user_id


def webhook_scope(principal: Principal, requested: list[str] | None) -> list[str] | None:
    """The subdistricts a subscription covers: an integration client with a subdistrict claim gets at most
    that one (its own by default); otherwise what was asked (None: all)."""
    claim = principal.subdistrict_id if not principal.is_district_admin else None
    if not claim:
        return requested
    if requested is None:
        return [claim]
    outside = [subdistrict for subdistrict in requested if subdistrict != claim]
    if outside:
        raise Forbidden(
            "An integration client subscribes within its own subdistrict.",
            code="out_of_scope",
            field="subdistrict_ids",
        )
    return requested


# --- residents' SMS notices ---------------------------------------------------------------------------------
# The log of a ticket's SMS notices (masked number, kind, status, times): district administrators, and the
# staff of the ticket's station (the community's secretary for every station of the community). Anyone
# else gets 403; a station's staff asking about another station's ticket see an empty log. The provider's
# inbound callback carries no person: it is authenticated by the provider's own token.


@dataclass(frozen=True, slots=True)
class SmsLogScope:
    """Which of a ticket's messages a caller sees; both None: all."""

    station_ids: list[uuid.UUID] | None
    community_id: uuid.UUID | None


def sms_log_scope(principal: Principal) -> SmsLogScope:
    if principal.is_district_admin:
        return SmsLogScope(None, None)
    if principal.has_role(*STATION_STAFF):
        station = claim_id(principal.station_id)
        community = claim_id(principal.community_id) if principal.has_role(Role.secretary) else None
        return SmsLogScope([station] if station else [], community)
    raise Forbidden("Only the station's staff and district administrators read the SMS log.", code="role_required")


def sms_provider_authenticated(settings: NotificationSettings, presented: str | None) -> None:
    """The inbound callback's token, compared in constant time; no configured token: nobody gets in."""
    expected = settings.sms_inbound_token
    if not expected or not presented or not hmac.compare_digest(presented.encode(), expected.encode()):
        raise Unauthorized("The SMS provider's token is missing or wrong.", code="provider_token_invalid")


# --- push: devices and notification preferences -------------------------------------------------------------
# Every person manages their own devices and preferences, and only their own: the caller is the token's
# subject, so there is no one else's to name (another person's device id is 404). Integration clients and
# the notifier are systems, not people: they have neither.

_PERSON_ROLES = frozenset(Role) - {Role.integration_client, Role.notifier}


def push_person(principal: Principal) -> str:
    """The person whose devices and preferences a call is about: the caller, if a person."""
    if not principal.has_role(*_PERSON_ROLES):
        raise Forbidden("Devices and notification preferences belong to people, not systems.", code="role_required")
    return principal.user_id


# --- the worker's feed --------------------------------------------------------------------------------------
# A feed is a person's own: every signed-in person reads and marks only the items addressed to their token
# subject (another's item is 404, as if absent). The notifier is a service acting for the system, not a
# person: it has no feed.


def feed_person(principal: Principal) -> str:
    """Whose feed the caller reads: their own (the token's subject)."""
    if principal.has_role(Role.notifier) and len(principal.roles) == 1:
        raise Forbidden("A service account has no feed.", code="role_required")
    return principal.user_id
