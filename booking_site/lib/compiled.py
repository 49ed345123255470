"""Querysets compiled to SQL once per process, then run with new values.

Building and compiling a queryset costs Django about 1-2 ms of Python, several times what
PostgreSQL needs to answer an index lookup. For the few hot reads (the search results page)
the queryset is still written with the ORM, the single source of truth, but compiled once
with stand-in values; each request then binds its own values and runs the SQL directly.

Stand-ins are recognised by value in the compiled parameters, so each must be unique and
must not equal a constant of the query; `compile_queryset` checks that each appears exactly
once, so an ORM change that reorders or merges parameters fails loudly, never silently.
"""

from dataclasses import dataclass

from django.db import connection


@dataclass(frozen=True)
class Slot:
    name: str


@dataclass(frozen=True)
class CompiledQuery:
    sql: str
    params: tuple  # constants of the query, and Slots filled in at run time

    def bind(self, values: dict) -> list:
        return [values[param.name] if isinstance(param, Slot) else param for param in self.params]

    def rows(self, values: dict) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(self.sql, self.bind(values))
            return cursor.fetchall()


def compile_queryset(queryset, stand_ins: dict[str, object]) -> CompiledQuery:
    """`queryset` (built with `stand_ins`' values) as SQL whose parameters name the stand-ins."""
    sql, params = queryset.query.sql_with_params()
    names = {value: name for name, value in stand_ins.items()}
    if len(names) != len(stand_ins):
        raise ValueError("Stand-in values must be unique.")
    bound = tuple(Slot(names[param]) if _hashable(param) and param in names else param for param in params)
    slots = [param.name for param in bound if isinstance(param, Slot)]
    if sorted(slots) != sorted(stand_ins):
        raise ValueError(f"Each stand-in must appear once in the compiled parameters: {slots} vs {list(stand_ins)}")
    return CompiledQuery(sql=sql, params=bound)


def _hashable(value) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True
