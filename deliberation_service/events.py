"""Every event the deliberation service publishes or consumes, declared in one place."""

from shared.events import EventConsumer, Outbox

SOURCE = "/doorstep/deliberation"

PROJECT_PROPOSED = "project.proposed"

PUBLISHED = {
    PROJECT_PROPOSED: "A project entered a station and awaits its hearing.",
}
CONSUMED: dict[str, str] = {}

outbox = Outbox(SOURCE)
consumer = EventConsumer("deliberation")
