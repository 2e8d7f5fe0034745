"""Imports every domain's tables so Alembic sees them all."""

from deliberation_service.projects.models import Project

__all__ = ["Project"]
