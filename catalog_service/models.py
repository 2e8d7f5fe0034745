"""Imports every domain's tables so Alembic sees them all."""

from catalog_service.stations.models import Station, Subdistrict

__all__ = ["Station", "Subdistrict"]
