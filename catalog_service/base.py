from sqlalchemy.orm import DeclarativeBase

from shared.database import new_metadata
from shared.sync import SyncTables


class Base(DeclarativeBase):
    """This service's tables, named by the shared constraint naming convention."""

    metadata = new_metadata()


# Offline sync: the change counter and the tombstones (shared/sync.py), in this service's database.
sync_tables = SyncTables(Base.metadata)
