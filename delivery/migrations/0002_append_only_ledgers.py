"""Append-only ledgers in the database itself (STYLE.md; docs/domain.md §5): consent
events, reward events and provider status reports refuse UPDATE. Revocations and corrections
are new rows. DELETE stays possible so a brand can be erased with its data."""

from django.db import migrations

LEDGERS = ("delivery_consentevent", "delivery_event", "delivery_sendstatusevent")

FUNCTION = """
CREATE OR REPLACE FUNCTION delivery_refuse_update() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'table % is append-only: write a new row instead', TG_TABLE_NAME
        USING ERRCODE = 'check_violation';
END
$$ LANGUAGE plpgsql;
"""


def _create(table: str) -> str:
    return (f"CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION delivery_refuse_update();")


def _drop(table: str) -> str:
    return f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};"


class Migration(migrations.Migration):
    dependencies = [("delivery", "0001_initial")]

    operations = [
        migrations.RunSQL(FUNCTION, "DROP FUNCTION IF EXISTS delivery_refuse_update();"),
        *[migrations.RunSQL(_create(t), _drop(t)) for t in LEDGERS],
    ]
