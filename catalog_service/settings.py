from typing import Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class CatalogSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CATALOG_", extra="ignore")

    service_name: str = "catalog"
    # The 15-minute walk: straight-line metres × detour factor ÷ walking speed (see stations/geography.py).
    walking_minutes: float = Field(default=15.0, gt=0, le=120)
    walking_detour_factor: float = Field(default=1.25, ge=1.0, le=3.0)
    walking_speed_kmh: float = Field(default=5.0, gt=0, le=20)
    # Stations must lie inside this box (Pudong with a margin): catches swapped or mistyped coordinates.
    district_south: float = 30.6
    district_north: float = 31.6
    district_west: float = 121.3
    district_east: float = 122.1
    # Upper bound on the points of one coverage report (grid or upload).
    coverage_max_points: int = Field(default=20_000, ge=1)
    # Demo data: the whole district (1,285 stations, ~11,000 staff, their events), or only the 8 stations the
    # report names (for test suites whose other services consume every event one transaction at a time).
    demo_scale: Literal["full", "reported"] = "full"
