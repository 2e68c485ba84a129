"""A region's last hours, read from Cassandra when a page asks (not kept in memory, not pushed)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Protocol

from cassandra.cluster import Session

from results.reads import ResultTables
from results.rows import ResultRow
from results.session import CASSANDRA_ERRORS, connect
from settings import CassandraSettings

log = logging.getLogger(__name__)


class HistoryUnavailable(Exception):
    """Cassandra cannot answer now; the page says so and the live map goes on."""


class RegionHistory(Protocol):
    def last_hours(self, region: str, hours: int) -> list[ResultRow]:
        """The newest ``hours`` rows of ``region``, newest first; HistoryUnavailable when it cannot."""

    def close(self) -> None: ...


class CassandraHistory:
    """``results.reads`` on a session opened at the first question and opened again after a failure.

    Opening lazily lets the dashboard start, and show the live map, while Cassandra is down.
    """

    def __init__(self, cassandra: CassandraSettings, open_session: Callable[[CassandraSettings], Session] | None = None) -> None:
        self._cassandra = cassandra
        self._open_session = open_session or (lambda settings: connect(settings, timeout=5.0))
        self._session: Session | None = None
        self._tables: ResultTables | None = None
        self._lock = threading.Lock()  # questions come from the server's worker threads

    def last_hours(self, region: str, hours: int) -> list[ResultRow]:
        try:
            return self._open_tables().history(region, hours)
        except CASSANDRA_ERRORS as error:
            log.warning("cannot read %s's history from Cassandra at %s:%d: %s",
                        region, self._cassandra.host, self._cassandra.port, error)
            self.close()
            raise HistoryUnavailable(f"the history cannot be read now: {type(error).__name__}") from None

    def _open_tables(self) -> ResultTables:
        with self._lock:
            if self._tables is None:
                session = self._open_session(self._cassandra)
                try:
                    self._tables = ResultTables(session, self._cassandra.keyspace)
                except BaseException:
                    session.cluster.shutdown()
                    raise
                self._session = session
            return self._tables

    def close(self) -> None:
        with self._lock:
            if self._session is not None:
                self._session.cluster.shutdown()
            self._session = self._tables = None
