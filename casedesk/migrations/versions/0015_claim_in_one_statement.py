"""a claim in one statement on PostgreSQL (the bin count read after the agent's row lock);
every case event announced with NOTIFY

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 17:00:00

``next`` and ``accept`` on PostgreSQL are one statement each
(``services.workflow.fastpath``): lock the agent's row (``FOR NO KEY UPDATE``), count
the open cases of the bin, claim the case and write its event. Inside one statement
every subquery reads the statement's snapshot, taken before the lock was granted, so a
claim into the same bin that committed while this one waited would not be counted and a
bin could take one case beyond its capacity. ``casedesk_bin_wip`` is ``VOLATILE``: a
volatile SQL function takes a fresh snapshot for its query, after the lock, and sees
that claim. It runs as the caller (row security applies, as to the count it replaces).

Pushed updates (``services.queries.notify``): an ``AFTER INSERT`` trigger on
``case_event`` — every change of a case writes exactly one event, in the change's own
transaction — calls ``pg_notify`` on one channel per concern, delivered at commit (and not
at all on rollback): ``casedesk_case_<case id>``; ``casedesk_queue_<queue id>`` when the
case waits in that queue or the event moved it into or out of a queue or a bin (the inbox
changed); ``casedesk_bin_<agent id>`` for the bin that holds it and the bin it left; and
``casedesk_floor`` for everything (supervisors' boards). The payload is ``<kind> <case id>``
— ids only, so a listener learns nothing row security would hide from it but that some
case changed. The function is ``SECURITY DEFINER`` to read the case's queue and owner
whoever wrote the event.
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

#: the statuses ``case_is_active()`` counts (models.base.ACTIVE_STATUSES)
_ACTIVE = "'new', 'in_progress', 'awaiting_customer', 'resolved'"

_NOTIFY = """
CREATE OR REPLACE FUNCTION casedesk_notify_event() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    c record;
    payload text := NEW.kind || ' ' || NEW.case_id;
    moved boolean := NEW.from_owner_id IS NOT NULL OR NEW.to_owner_id IS NOT NULL
        OR NEW.from_queue_id IS NOT NULL OR NEW.to_queue_id IS NOT NULL;
BEGIN
    SELECT queue_id, owner_id INTO c FROM "case" WHERE id = NEW.case_id;
    PERFORM pg_notify('casedesk_floor', payload);
    PERFORM pg_notify('casedesk_case_' || NEW.case_id, payload);
    IF c.queue_id IS NOT NULL AND (c.owner_id IS NULL OR moved) THEN
        PERFORM pg_notify('casedesk_queue_' || c.queue_id, payload);
    END IF;
    IF NEW.from_queue_id IS NOT NULL AND NEW.from_queue_id IS DISTINCT FROM c.queue_id THEN
        PERFORM pg_notify('casedesk_queue_' || NEW.from_queue_id, payload);
    END IF;
    IF c.owner_id IS NOT NULL THEN
        PERFORM pg_notify('casedesk_bin_' || c.owner_id, payload);
    END IF;
    IF NEW.from_owner_id IS NOT NULL AND NEW.from_owner_id IS DISTINCT FROM c.owner_id THEN
        PERFORM pg_notify('casedesk_bin_' || NEW.from_owner_id, payload);
    END IF;
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute(
        "CREATE OR REPLACE FUNCTION casedesk_bin_wip(agent bigint) RETURNS bigint "
        "LANGUAGE sql VOLATILE SET search_path = pg_catalog, public, pg_temp AS $fn$ "
        f'SELECT count(*) FROM "case" WHERE owner_id = agent AND status IN ({_ACTIVE}) $fn$'
    )
    op.execute("REVOKE ALL ON FUNCTION casedesk_bin_wip(bigint) FROM PUBLIC")
    op.execute("GRANT EXECUTE ON FUNCTION casedesk_bin_wip(bigint) TO casedesk_agent")
    op.execute(_NOTIFY)
    op.execute("REVOKE ALL ON FUNCTION casedesk_notify_event() FROM PUBLIC")
    op.execute(
        "CREATE TRIGGER casedesk_event_notify AFTER INSERT ON case_event "
        "FOR EACH ROW EXECUTE FUNCTION casedesk_notify_event()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute("DROP TRIGGER IF EXISTS casedesk_event_notify ON case_event")
    op.execute("DROP FUNCTION IF EXISTS casedesk_notify_event()")
    op.execute("DROP FUNCTION IF EXISTS casedesk_bin_wip(bigint)")
