"""Routing without the walk, for the paths a service has already answered.

FastAPI finds a request's route by asking every included router in turn, and each asks each of its
routes; with a service's dozen routers that walk cost more than the rest of a static answer (about 60 µs
of a catalogue request's 280, 200 µs for a 404). The walk's outcome depends only on the method and the
path while the routes stay the same (no `Host` route, which looks at headers), so `RouteMemo` remembers,
for each method and path that a route without path parameters answered, which of the app's top-level
routes it was. Next time that route alone is asked; it still matches the request itself (its own routers
and routes, the method), and anything but a full match falls back to the walk.

Only parameterless paths are remembered (a finite set: a path with an id in it never is), at most
`LIMIT` of them; a change to the top-level routes forgets everything. What the router does on a full
match is done exactly as FastAPI's `APIRouter.app` does it (its helpers, pinned with FastAPI in
constraints.txt; tests/platform/test_per_request_stack.py checks it).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRouter, _apply_router_form_limits, _update_scope
from fastapi.telemetry._api import _route_selected
from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Host, Match, Mount
from starlette.types import ASGIApp, Receive, Scope, Send


class RouteMemo:
    """Sits where the app's router dispatches (`router.middleware_stack`); see the module's text."""

    LIMIT = 1024

    def __init__(self, router: APIRouter, walk: ASGIApp) -> None:
        self.router = router
        self.walk = walk
        self.known: dict[tuple[str, str], int] = {}
        self._routes: tuple[int, int] = (0, 0)  # (id, length) of the routes `known` was learnt from

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.walk(scope, receive, send)
            return
        routes = self.router.routes
        if self._routes != (id(routes), len(routes)):
            self.known.clear()
            self._routes = (id(routes), len(routes))
        key = (scope["method"], get_route_path(scope))
        index = self.known.get(key)
        if index is not None:
            route = routes[index]
            match, child_scope = route.matches(scope)
            if match is Match.FULL:  # as APIRouter.app does on a full match
                _apply_router_form_limits(scope, self.router.form_limits)
                if "router" not in scope:
                    scope["router"] = self.router
                _update_scope(scope, child_scope)
                _route_selected(scope=scope, path=getattr(route, "path_format", None), mount=isinstance(route, Mount))
                await route.handle(scope, receive, send)
                return
        await self.walk(scope, receive, send)
        if index is None and scope.get("route") is not None and not scope.get("path_params"):
            self._learn(key, scope, routes)

    def _learn(self, key: tuple[str, str], scope: Scope, routes: list[BaseRoute]) -> None:
        if len(self.known) >= self.LIMIT or any(isinstance(route, Host) for route in routes):
            return
        probe: dict[str, Any] = {
            "type": "http",
            "method": scope["method"],
            "path": scope["path"],
            "root_path": scope.get("root_path", ""),
            "headers": scope.get("headers", []),
        }
        for index, route in enumerate(routes):
            match, _ = route.matches(probe)
            if match is Match.FULL:
                self.known[key] = index
                return


def remember_routes(app: FastAPI) -> None:
    """Puts a `RouteMemo` in front of the app's router, unless the router limits bodies itself (then the
    walk is kept: the memo would pass around that limit)."""
    router = app.router
    if router.middleware_stack == router.app:
        router.middleware_stack = RouteMemo(router, router.middleware_stack)
