"""One row of a hand-written join turned into model instances, the way the ORM does it.

The API key check (every API call) and the sender's claim (every text) each read one row
joined across three or four tables. Built with select_related, compiling that query cost more
Python than anything else in either request, so those two SELECTs are written out once
(delivery.selectors) and their rows are split here: each table's columns become an instance
through Model.from_db, after the fields' own database converters (JSONField parses its text).
"""

from __future__ import annotations

from functools import cache

from django.db import connection
from django.db.models import Model


def columns(model: type[Model], alias: str) -> str:
    """The SELECT list for every concrete column of `model`, in split_row's order."""
    return ", ".join(f'{alias}."{f.column}"' for f in model._meta.concrete_fields)


@cache
def _layout(model: type[Model]) -> tuple[int, int, list[str], list[tuple[int, list]]]:
    """Per model, once: column count, primary key position, attnames, and the database
    converters of the fields that have any (most have none)."""
    fields = model._meta.concrete_fields
    converters = [(index, convert) for index, field in enumerate(fields)
                  if (convert := field.get_db_converters(connection))]  # type: ignore[attr-defined]
    return (len(fields), fields.index(model._meta.pk), [f.attname for f in fields],
            converters)


def split_row(row: tuple, models: tuple[type[Model], ...]) -> list[Model | None]:
    """One instance per model, in order; None where an outer join found no row."""
    found: list[Model | None] = []
    start = 0
    for model in models:
        width, pk_index, attnames, converters = _layout(model)
        values = list(row[start:start + width])
        start += width
        if values[pk_index] is None:
            found.append(None)
            continue
        fields = model._meta.concrete_fields
        for index, convert in converters:
            for function in convert:
                values[index] = function(values[index], fields[index], connection)
        found.append(model.from_db(connection.alias, attnames, values))
    return found


def cache_reverse_one(instance: Model, name: str, related: Model | None) -> None:
    """What select_related leaves behind for a reverse one-to-one: the related row, or a
    cached None, so reading `instance.<name>` never goes back to the database."""
    descriptor = getattr(type(instance), name)
    if related is None:
        descriptor.related.set_cached_value(instance, None)
    else:
        setattr(instance, name, related)
