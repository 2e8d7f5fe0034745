"""This domain's background work, started and stopped with the service (see app.py): what wakes the
feed streams open on this replica (feed/live.py)."""

from __future__ import annotations

from fastapi import FastAPI

from notification_service.feed.live import CommitHook, FeedHub, FeedListener
from notification_service.worker import Worker
from shared.database import Database


class _CommitHookInstaller:
    """Installs the commit hook once per database (a restarted lifespan must not count items twice)."""

    def __init__(self, database: Database, hook: CommitHook) -> None:
        self.database = database
        self.hook = hook

    def start(self) -> None:
        if not getattr(self.database, "_feed_hook_installed", False):
            self.database.on_commit(self.hook)
            # A marker on this service's Database so that one hook is installed per database, not per worker.
            self.database._feed_hook_installed = True  # type: ignore[attr-defined]

    async def stop(self) -> None:
        return None


def workers(app: FastAPI) -> list[Worker]:
    hub = getattr(app.state, "feed_hub", None)
    if hub is None:
        hub = app.state.feed_hub = FeedHub()
    database: Database = app.state.runtime.database
    found: list[Worker] = [_CommitHookInstaller(database, CommitHook(hub, wake=database.is_sqlite))]
    if not database.is_sqlite:
        listener = FeedListener(database, hub)
        app.state.feed_listener = listener
        found.append(listener)
    return found
