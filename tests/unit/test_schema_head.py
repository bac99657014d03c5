"""The schema head the program checks at start-up is the newest migration Alembic knows."""

from casedesk.db import SCHEMA_HEAD, head_revision


def test_schema_head_is_alembic_head() -> None:
    assert head_revision() == SCHEMA_HEAD
