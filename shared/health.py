"""`/livez` (the process answers) and `/readyz` (it can do its job: database, migrations, consumers)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

Check = Callable[[], Awaitable[tuple[bool, str]]]


def health_router(checks: Callable[[Request], dict[str, Check]]) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/livez")
    async def livez() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        results: dict[str, dict[str, object]] = {}
        for name, check in checks(request).items():
            try:
                ok, detail = await check()
            except Exception as error:  # a failing check is a "not ready", never a 500
                ok, detail = False, f"{type(error).__name__}: {error}"
            results[name] = {"ok": ok, "detail": detail}
        ready = all(result["ok"] for result in results.values())
        return JSONResponse(
            {"status": "ready" if ready else "not_ready", "checks": results},
            status_code=200 if ready else 503,
        )

    return router
