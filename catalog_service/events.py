"""Every event the catalogue publishes or consumes, declared in one place."""

from shared.events import EventConsumer, Outbox

SOURCE = "/doorstep/catalog"

STATION_CREATED = "station.created"
STATION_UPDATED = "station.updated"

PUBLISHED = {
    STATION_CREATED: "A station was opened; carries the state other services keep a copy of.",
    STATION_UPDATED: "A station's details changed; carries its whole current state.",
}
CONSUMED: dict[str, str] = {}

outbox = Outbox(SOURCE)
consumer = EventConsumer("catalog")
