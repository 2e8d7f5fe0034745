from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from catalog_service.me import service
from catalog_service.me.schemas import MeRead
from shared.auth import Principal, current_principal
from shared.service import SessionDep

router = APIRouter(prefix="/api/v1", tags=["me"])


@router.get("/me", response_model=MeRead, summary="Who am I: person, roles, places and capabilities")
async def get_me(session: SessionDep, principal: Annotated[Principal, Depends(current_principal)]) -> MeRead:
    return await service.me(session, principal)
