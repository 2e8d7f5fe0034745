"""District administrators issue and revoke integration clients' Open311 keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status
from pydantic import BaseModel, ConfigDict, Field

from shared.auth import Principal, Role, require_roles
from shared.errors import NotFound
from shared.pagination import Page, PageParameters, page_parameters
from shared.service import SessionDep
from ticket_service.open311 import repository
from ticket_service.open311.keys import hash_key, new_key
from ticket_service.open311.models import ApiKey

router = APIRouter(prefix="/api/v1/api-keys", tags=["open311 api keys"])

Admin = Annotated[Principal, Depends(require_roles(Role.district_admin))]


class ApiKeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200, description="The integrating system, e.g. 区网格化管理中心")
    client_id: str = Field(min_length=1, max_length=64, description="Tickets it raises are recorded as its own.")


class ApiKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    client_id: str
    key_prefix: str
    active: bool
    created_at: datetime


class ApiKeyIssued(ApiKeyRead):
    api_key: str = Field(description="Shown once; only its hash is kept.")


@router.post("", response_model=ApiKeyIssued, status_code=status.HTTP_201_CREATED, summary="Issue a key")
async def issue(data: ApiKeyCreate, session: SessionDep, principal: Admin) -> ApiKeyIssued:
    key = new_key()
    row = ApiKey(
        name=data.name,
        client_id=data.client_id,
        key_hash=hash_key(key),
        key_prefix=key[:12],
        created_by=principal.user_id,
    )
    await repository.add_key(session, row)
    return ApiKeyIssued(**ApiKeyRead.model_validate(row).model_dump(), api_key=key)


@router.get("", response_model=Page[ApiKeyRead], summary="Keys (never the keys themselves), newest first")
async def list_keys(
    session: SessionDep, principal: Admin, page: Annotated[PageParameters, Depends(page_parameters)]
) -> Page[ApiKeyRead]:
    rows, next_cursor = await repository.page_keys(session, page)
    return Page(items=[ApiKeyRead.model_validate(row) for row in rows], next_cursor=next_cursor)


@router.delete("/{key_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke a key")
async def revoke(key_id: uuid.UUID, session: SessionDep, principal: Admin) -> Response:
    row = await repository.get_key(session, key_id)
    if row is None:
        raise NotFound("No such key.", code="api_key_not_found")
    row.active = False
    return Response(status_code=status.HTTP_204_NO_CONTENT)
