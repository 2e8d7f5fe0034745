import ticket_service.models  # noqa: F401  (registers every table on the metadata)
from shared.events.tables import messaging_metadata
from shared.idempotency import idempotency_metadata
from shared.migrations import run_env
from ticket_service.base import Base

run_env([Base.metadata, messaging_metadata, idempotency_metadata])
