"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from storning.store.models import Base
from storning.store.schema import is_current


def test_the_migrated_schema_matches_the_models(app):
    with app.db.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
    assert is_current(app.db.engine)


def test_init_upgrades_an_old_database_in_place(tmp_path):
    from alembic import command

    from storning import services
    from storning.app import App
    from storning.store.schema import alembic_config
    from tests.conftest import T0, base_settings

    app = App.create(base_settings(f"sqlite:///{tmp_path / 'old.db'}"))
    config = alembic_config()
    with app.db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    assert not is_current(app.db.engine)
    services.init_database(app, T0)
    assert is_current(app.db.engine)
    app.db.dispose()
