"""Contacts store their zones when registered; numbers registered before the area-code zone
table kept only the library's one zone for area codes that straddle a zone line. Add the
table's zones to them (union: a zone already stored is never dropped)."""

from django.db import migrations

from delivery.area_code_zones import AREA_CODE_ZONES


def add_split_zones(apps, schema_editor):
    Contact = apps.get_model("delivery", "Contact")
    split = {code: zones for code, zones in AREA_CODE_ZONES.items() if len(zones) > 1}
    for contact in Contact.objects.filter(phone__startswith="+1").only("id", "phone",
                                                                        "time_zones").iterator():
        extra = split.get(contact.phone[2:5])
        if not extra or not contact.time_zones:
            continue  # no zone known at all: the contact is held for review already
        zones = sorted(set(contact.time_zones) | set(extra))
        if zones != sorted(contact.time_zones):
            Contact.objects.filter(pk=contact.pk).update(time_zones=zones)


class Migration(migrations.Migration):
    dependencies = [("delivery", "0002_append_only_ledgers")]

    operations = [migrations.RunPython(add_split_zones, migrations.RunPython.noop)]
