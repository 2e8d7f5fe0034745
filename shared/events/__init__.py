"""Events between services: CloudEvents envelopes, the transactional outbox and inbox, the buses."""

from shared.events.bus import EventBus, InProcessBus, PermanentFailure
from shared.events.envelope import EventEnvelope, MalformedEvent
from shared.events.inbox import EventConsumer
from shared.events.outbox import Outbox, OutboxRelay

__all__ = [
    "EventBus",
    "EventConsumer",
    "EventEnvelope",
    "InProcessBus",
    "MalformedEvent",
    "Outbox",
    "OutboxRelay",
    "PermanentFailure",
]
