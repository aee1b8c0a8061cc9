"""Alembic environment: runs against the engine Tandem passes in (see projections.database)."""

from alembic import context

import projections.tables  # noqa: F401  (registers every table on the metadata)
from projections.metadata import metadata

config = context.config
engine = config.attributes["engine"]  # passed in by projections.database.migrate

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
