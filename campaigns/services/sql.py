"""SQL both databases need written the same way, and the hot paths' statements.

The statements a webhook runs for every payment (``insert_ignoring_duplicates``,
``increment_or_insert``, ``update_where``) are built once per table and shape and run on
the session's connection with their values as parameters: building a statement and
coercing its values costs more Python than sending it, and an ORM-enabled statement
several times that of a Core one. The session is flushed first, so rows it holds
pending are in the database before a statement that refers to them.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from sqlalchemy import Result, Table, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import InstrumentedAttribute, Session, make_transient_to_detached
from sqlalchemy.orm.base import instance_state, manager_of_class

_STATEMENTS: dict[Hashable, object] = {}


def on_postgres(session: Session) -> bool:
    """Whether ``session`` talks to PostgreSQL (else SQLite): where one statement on
    PostgreSQL does what SQLite, one writer at a time, does in several."""
    return session.get_bind().dialect.name == "postgresql"


def _dialect(session: Session):
    return postgresql if on_postgres(session) else sqlite


def _cached(key: Hashable, build: Callable[[], object]):
    statement = _STATEMENTS.get(key)
    if statement is None:
        statement = _STATEMENTS[key] = build()
    return statement


def connection(session: Session) -> Connection:
    """The session's connection in its transaction, with what the session holds pending
    flushed first (Core statements on it bypass the session's autoflush)."""
    if session.new or session.dirty or session.deleted:
        session.flush()
    return session.connection()


def _columns(returning) -> tuple:
    if returning is None:
        return ()
    items = returning if isinstance(returning, tuple) else (returning,)
    return tuple(
        item.property.columns[0] if isinstance(item, InstrumentedAttribute) else item
        for item in items
    )


def insert_ignoring_duplicates(
    session: Session, model, values: dict, *, returning=None, computed: dict | None = None
) -> Result:
    """INSERT ... ON CONFLICT DO NOTHING: under a race exactly one insert wins and the
    others do nothing (no IntegrityError, no aborted transaction). ``returning``: a column
    of the new row, or a tuple of them (no row when nothing was inserted). ``computed``:
    columns whose value is an SQL expression over the parameters (a module's constant: the
    statement is built once for it)."""
    dialect = _dialect(session)
    table: Table = model.__table__
    columns = _columns(returning)
    computed = computed or {}
    key = (
        "insert-ignoring",
        dialect.__name__,
        table.name,
        tuple(column.name for column in columns),
        tuple((name, id(expression)) for name, expression in sorted(computed.items())),
    )

    def build():
        statement = dialect.insert(table)
        if computed:
            statement = statement.values(computed)
        statement = statement.on_conflict_do_nothing()
        return statement.returning(*columns) if columns else statement

    return connection(session).execute(_cached(key, build), values)


def insert_many_ignoring_duplicates(
    session: Session, model, rows: list[dict], *, returning=None
) -> Result:
    """``insert_ignoring_duplicates`` for several rows in one statement: the rows that
    conflict with one stored (or being stored by a concurrent transaction) are skipped;
    RETURNING gives only the rows this statement inserted."""
    dialect = _dialect(session)
    statement = dialect.insert(model).values(rows).on_conflict_do_nothing()
    if returning is not None:
        statement = statement.returning(returning)
    return session.execute(statement)


def increment_or_insert(session: Session, model, values: dict, column: str, *, returning) -> Result:
    """INSERT ``values``, or where the row is there already, add 1 to its ``column``
    (INSERT ... ON CONFLICT DO UPDATE): one statement and one row lock either way; the
    row's ``returning`` column as it is now."""
    dialect = _dialect(session)
    table: Table = model.__table__
    (returned,) = _columns(returning)
    key = ("increment", dialect.__name__, table.name, column, returned.name, tuple(values))

    def build():
        keys = [c.name for c in table.primary_key.columns]
        return (
            dialect.insert(table)
            .on_conflict_do_update(index_elements=keys, set_={column: table.c[column] + 1})
            .returning(returned)
        )

    return connection(session).execute(_cached(key, build), values)


def update_where(session: Session, model, where: dict, values: dict) -> int:
    """UPDATE ``model`` SET ``values`` WHERE each column of ``where`` equals its value;
    the rows it changed. A value may be ``Increment(n)``: the column plus ``n``. The
    session's loaded objects are not told (callers refresh or set what they know)."""
    table: Table = model.__table__
    increments = tuple(sorted(k for k, v in values.items() if isinstance(v, Increment)))
    key = ("update", table.name, tuple(where), increments)

    def build():
        conditions = [table.c[name] == bindparam(f"w_{name}") for name in where]
        added = {name: table.c[name] + bindparam(f"add_{name}") for name in increments}
        return update(table).where(*conditions).values(added)

    params = {f"w_{name}": value for name, value in where.items()}
    for name, value in values.items():
        params[f"add_{name}" if name in increments else name] = (
            value.by if isinstance(value, Increment) else value
        )
    return connection(session).execute(_cached(key, build), params).rowcount


def update_then_insert(
    session: Session, model, where: dict, values: dict, then_model, then_values: dict
) -> int:
    """``update_where`` (plain values only) and, only if it changed a row, INSERT
    ``then_values`` into ``then_model`` ON CONFLICT DO NOTHING (``insert_ignoring_duplicates``):
    one statement on PostgreSQL, a data-modifying WITH, so one round trip; two on SQLite.
    The rows the update changed."""
    if not on_postgres(session):
        changed = update_where(session, model, where, values)
        if changed:
            insert_ignoring_duplicates(session, then_model, then_values)
        return changed
    table: Table = model.__table__
    target: Table = then_model.__table__
    key = (
        "update-then-insert",
        table.name,
        tuple(where),
        tuple(values),
        target.name,
        tuple(then_values),
    )

    def build():
        changed = (
            update(table)
            .where(*(table.c[k] == bindparam(f"w_{k}", type_=table.c[k].type) for k in where))
            .values({k: bindparam(f"v_{k}", type_=table.c[k].type) for k in values})
            .returning(*table.primary_key.columns)
            .cte("changed")
        )
        added = (
            postgresql.insert(target)
            .from_select(
                list(then_values),
                select(
                    *(bindparam(f"i_{k}", type_=target.c[k].type) for k in then_values)
                ).select_from(changed),
            )
            .on_conflict_do_nothing()
            .cte("added")
        )
        return select(func.count()).select_from(changed).add_cte(added)

    params = {f"w_{k}": v for k, v in where.items()}
    params |= {f"v_{k}": v for k, v in values.items()}
    params |= {f"i_{k}": v for k, v in then_values.items()}
    return connection(session).execute(_cached(key, build), params).scalar_one()


class Increment:
    """A relative change for ``update_where``: concurrent updates each add theirs, none is
    lost (the row lock orders them)."""

    __slots__ = ("by",)

    def __init__(self, by: int) -> None:
        self.by = by


def as_loaded(session: Session, model, values: dict):
    """The object of ``model`` a Core statement just wrote with ``values`` (its primary
    key among them), in ``session`` as if it had been read back: no SQL, no pending change."""
    stored = dict(values)
    for column in model.__table__.columns:
        if column.key in stored or column.server_default is not None:
            continue
        default = column.default
        if default is None:
            stored[column.key] = None
        elif default.is_scalar:
            stored[column.key] = default.arg
        # A callable default was evaluated by the insert: left to load if it is read.
    # The values go straight into the object's state, as a query's row would: no
    # attribute events, no history (the constructor would record each as a change).
    obj = manager_of_class(model).new_instance()
    instance_state(obj).dict.update(stored)
    make_transient_to_detached(obj)
    session.add(obj)
    return obj


def held_or_loaded(session: Session, model, values: dict):
    """The object of ``model`` a statement just read as ``values`` (its primary key among
    them): the session's own if it holds one, as a query would return it, else one made
    ``as_loaded``."""
    ident = tuple(values[column.key] for column in model.__table__.primary_key.columns)
    held = session.identity_map.get(session.identity_key(model, ident))
    return held if held is not None else as_loaded(session, model, values)
