"""The feed's Prometheus series."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

FEED_ITEMS = Counter("doorstep_feed_items_total", "Feed items added (committed), by kind.", ["kind"])
FEED_STREAMS = Gauge("doorstep_feed_streams_open", "Feed streams (Server-Sent Events) open on this replica.")
FEED_LISTENER_CONNECTED = Gauge(
    "doorstep_feed_listener_connected", "1 while this replica listens for PostgreSQL feed notifications."
)
