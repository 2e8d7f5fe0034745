import notification_service.models  # noqa: F401  (registers every table on the metadata)
from notification_service.base import Base
from shared.events.tables import messaging_metadata
from shared.idempotency import idempotency_metadata
from shared.migrations import run_env

run_env([Base.metadata, messaging_metadata, idempotency_metadata])
