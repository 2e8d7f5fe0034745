from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from catalog_service.service_lists.categories import STANDARD_CATEGORIES

router = APIRouter(prefix="/api/v1", tags=["service lists"])


class ServiceCategoryRead(BaseModel):
    code: str
    name: str
    name_en: str
    standard_items: list[str]


_CATEGORIES = [
    ServiceCategoryRead(code=c.code, name=c.name, name_en=c.name_en, standard_items=list(c.standard_items))
    for c in STANDARD_CATEGORIES
]


@router.get(
    "/service-categories",
    response_model=list[ServiceCategoryRead],
    summary="The 7 standard service categories every station offers",
)
async def list_service_categories() -> list[ServiceCategoryRead]:
    return _CATEGORIES
