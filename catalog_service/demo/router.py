"""The demo issuer's lookup: which person a demo login names (embedded and distributed modes only).

Internal: not in the OpenAPI document and not in the gateway's route table, so only the gateway's own
issuer (`POST /auth/token`) reaches it. Production answers 404: tokens come from the district's OIDC.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from catalog_service.demo.service import demo_login
from catalog_service.dependencies import Settings
from shared.errors import NotFound
from shared.service import SessionDep
from shared.settings import Mode

router = APIRouter(include_in_schema=False)


@router.get("/internal/demo-logins/{username}")
async def get_demo_login(
    username: Annotated[str, Path(max_length=40)], session: SessionDep, settings: Settings
) -> dict[str, Any]:
    found = None if settings.mode == Mode.production else await demo_login(session, username)
    if found is None:
        raise NotFound("No such demo login.", code="unknown_login")
    return found
