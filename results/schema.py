"""The results tables' schema (``schema.cql``) as CQL statements for one keyspace."""

from __future__ import annotations

from importlib import resources

from results.daily import DAILY_TABLE
from results.tables import HISTORY_TABLE, HOURLY_TABLE
from settings import CassandraSettings, values


def replication(settings: CassandraSettings) -> str:
    """The keyspace's replication map: replicas spread over the racks (zones) of the datacenter
    when one is named, SimpleStrategy otherwise (the one-node local stack)."""
    factor = int(settings.replication_factor)
    if settings.datacenter:
        return f"{{'class': 'NetworkTopologyStrategy', '{values.datacenter_name(settings.datacenter)}': {factor}}}"
    return f"{{'class': 'SimpleStrategy', 'replication_factor': {factor}}}"


def schema_statements(settings: CassandraSettings) -> list[str]:
    """The CQL statements of ``schema.cql`` for the configured keyspace, in order."""
    text = resources.files("results").joinpath("schema.cql").read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    filled = body.format(
        keyspace=values.keyspace_name(settings.keyspace),
        replication=replication(settings),
        hourly_table=HOURLY_TABLE,
        history_table=HISTORY_TABLE,
        daily_table=DAILY_TABLE,
    )
    return [statement.strip() for statement in filled.split(";") if statement.strip()]
