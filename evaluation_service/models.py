"""Imports every domain's tables so Alembic sees them all."""

from evaluation_service.invitations.models import Invitation

__all__ = ["Invitation"]
