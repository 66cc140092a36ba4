"""Prebuilt Core statements run straight on the driver's cursor, inside the session's transaction.

The inbound path runs the same few statements on every message (seen key, dialog row, outbox
row), and SQLAlchemy's execution machinery around one of them costs more CPU than the statement
itself (bench/ measures it). A Prepared statement is compiled once per dialect and parameter
names, keeps SQLAlchemy's own type processors (UTC datetimes, JSON) and SQL (PostgreSQL bind
casts included), and sends it to the DBAPI cursor of the session's connection. Errors come back
as SQLAlchemy DBAPIError, as from Connection.execute; engine events (before_cursor_execute) do
not see these statements.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any, TypeVar, cast

from sqlalchemy import ColumnElement, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import manager_of_class
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import ValuesBase
from sqlalchemy.sql.selectable import Select

from .upsert import insert_ignoring

Processor = Callable[[Any], Any]
M = TypeVar("M")


class Unread(Enum):
    """Marks a row not read yet (as opposed to None: read, and absent)."""

    UNREAD = "unread"


UNREAD = Unread.UNREAD


@dataclass(frozen=True)
class _Plan:
    sql: str
    positional: tuple[str, ...] | None  # parameter order for qmark drivers (SQLite)
    binds: dict[str, Processor]
    fixed: dict[str, Any]  # values written into the statement (e.g. LIMIT 1), not passed by callers
    results: tuple[Processor | None, ...] | None


class Prepared:
    """A Core statement compiled once per dialect, executed on the session's DBAPI connection."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._plans: dict[tuple[str, tuple[str, ...]], _Plan] = {}

    def _plan(self, dialect: Dialect, keys: tuple[str, ...]) -> _Plan:
        plan = self._plans.get((dialect.name, keys))
        if plan is None:
            dml = isinstance(self.statement, ValuesBase)
            compiled = cast(
                SQLCompiler,
                self.statement.compile(dialect=dialect, column_keys=list(keys) if dml else None),
            )
            binds: dict[str, Processor] = {}
            fixed: dict[str, Any] = {}
            for param, name in compiled.bind_names.items():
                proc = param.type.dialect_impl(dialect).bind_processor(dialect)
                if proc is not None:
                    binds[name] = proc
                if not param.required and name not in keys:
                    fixed[name] = param.effective_value
            columns: list[Any] = list(
                self.statement.selected_columns
                if isinstance(self.statement, Select)
                else getattr(self.statement, "exported_columns", ())
            )
            results = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns)
            positional = getattr(compiled, "positiontup", None)
            plan = _Plan(
                compiled.string,
                tuple(positional) if positional else None,
                binds,
                fixed,
                results if any(results) else None,
            )
            self._plans[(dialect.name, keys)] = plan
        return plan

    def rows(self, session: Session, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        """Run the statement with these parameters; return its rows (none for plain DML)."""
        conn = session.connection()
        dialect = conn.dialect
        plan = self._plan(dialect, tuple(params))
        binds = plan.binds
        if plan.fixed:
            params = {**plan.fixed, **params}
        values = {k: (binds[k](v) if k in binds else v) for k, v in params.items()}
        args: Any = [values[k] for k in plan.positional] if plan.positional else values
        dbapi_conn = conn.connection.driver_connection
        assert dbapi_conn is not None
        cursor = dbapi_conn.cursor()
        try:
            cursor.execute(plan.sql, args)
            rows = cursor.fetchall() if cursor.description else []
        except dialect.loaded_dbapi.Error as exc:
            gone = dialect.is_disconnect(exc, conn.connection.dbapi_connection, cursor)
            if gone:
                conn.invalidate(exc)
            raise DBAPIError.instance(
                plan.sql,
                args,
                exc,
                dialect.loaded_dbapi.Error,
                connection_invalidated=gone,
                dialect=dialect,
            ) from exc
        finally:
            cursor.close()
        if plan.results is None:
            return [tuple(r) for r in rows]
        procs = plan.results
        return [tuple(p(v) if p else v for p, v in zip(procs, r, strict=True)) for r in rows]

    def first(self, session: Session, params: dict[str, Any]) -> tuple[Any, ...] | None:
        """Run the statement; return its first row, if any."""
        rows = self.rows(session, params)
        return rows[0] if rows else None


def built(cls: type[M], values: dict[str, Any]) -> M:
    """A new (transient) object holding these column values, filled as the ORM fills a loaded row.

    cls(**values) fires an attribute event per column and costs about 15 times more; the object
    behaves the same (later assignments are tracked as usual), but column defaults are not applied.
    """
    obj = manager_of_class(cls).new_instance()
    obj.__dict__.update(values)
    return obj


def attached(session: Session, cls: type[M], keys: tuple[str, ...], row: tuple[Any, ...]) -> M:
    """The session's object for a row a Prepared select read (its own copy, if it has one).

    As a query would: an object the session already holds wins; else the row becomes a clean,
    persistent object of the session (no INSERT, no UPDATE unless changed).
    """
    values = dict(zip(keys, row, strict=True))
    known = session.identity_map.get(session.identity_key(cls, values["id"]))
    if known is not None:
        return cast(M, known)
    obj = built(cls, values)
    make_transient_to_detached(obj)
    session.add(obj)
    return obj


class InsertIgnoring:
    """INSERT … ON CONFLICT DO NOTHING RETURNING …, built once per dialect (building costs more)."""

    def __init__(self, table: Table, *returning: ColumnElement[Any]) -> None:
        self.table = table
        self.returning = returning
        self._by_dialect: dict[str, Prepared] = {}

    def on(self, session: Session) -> Prepared:
        """The prepared statement for the session's database."""
        name = session.get_bind().dialect.name
        prepared = self._by_dialect.get(name)
        if prepared is None:
            stmt = insert_ignoring(name, self.table).returning(*self.returning)
            prepared = self._by_dialect[name] = Prepared(stmt)
        return prepared
