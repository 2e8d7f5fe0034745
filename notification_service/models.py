"""Imports every domain's tables so Alembic sees them all."""

import notification_service.feed.models
import notification_service.push.models
import notification_service.residents.models
import notification_service.webhooks.models  # noqa: F401
