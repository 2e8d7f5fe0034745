"""FastAPI dependencies shared by the catalogue's routers."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from catalog_service.settings import CatalogSettings
from catalog_service.stations.geography import GeographyError, WalkingModel
from shared.errors import Unprocessable


async def catalog_settings(request: Request) -> CatalogSettings:
    return cast(CatalogSettings, request.app.state.runtime.settings)


Settings = Annotated[CatalogSettings, Depends(catalog_settings)]


def walking_model(settings: CatalogSettings, detour_factor: float | None, speed_kmh: float | None) -> WalkingModel:
    try:
        return WalkingModel(
            detour_factor=settings.walking_detour_factor if detour_factor is None else detour_factor,
            speed_kmh=settings.walking_speed_kmh if speed_kmh is None else speed_kmh,
        )
    except GeographyError as error:
        raise Unprocessable(str(error), field=error.field, code=error.reason) from error
