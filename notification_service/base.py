from shared.database import declarative_base

Base = declarative_base()
