from shared.database import declarative_base
from shared.sync import SyncTables

Base = declarative_base()
# Offline sync: the change counter and the tombstones (shared/sync.py), in this service's database.
sync_tables = SyncTables(Base.metadata)
