from sqlalchemy.orm import DeclarativeBase

from shared.database import new_metadata


class Base(DeclarativeBase):
    """This service's tables, named by the shared constraint naming convention."""

    metadata = new_metadata()
