"""The schema creates exactly the tables and columns the rest of the code names."""

from __future__ import annotations

import re

import pytest

from results.daily import DAILY_COLUMNS, DAILY_TABLE
from results.schema import schema_statements
from results.tables import COLUMNS, HISTORY_TABLE, HOURLY_TABLE, RESULT_TABLES
from settings import CassandraSettings


def test_schema_has_the_keyspace_then_the_tables_with_their_keys() -> None:
    statements = schema_statements(CassandraSettings(keyspace="iot_test", replication_factor=3))
    assert len(statements) == 4
    assert statements[0].startswith("CREATE KEYSPACE IF NOT EXISTS iot_test") and "'replication_factor': 3" in statements[0]
    assert f"iot_test.{HOURLY_TABLE} (" in statements[1] and "PRIMARY KEY ((hour), region)" in statements[1]
    assert f"iot_test.{HISTORY_TABLE} (" in statements[2] and "CLUSTERING ORDER BY (hour DESC)" in statements[2]
    assert f"iot_test.{DAILY_TABLE} (" in statements[3] and "PRIMARY KEY ((day), region)" in statements[3]


@pytest.mark.parametrize("statement", [1, 2, 3])
def test_each_table_has_exactly_the_named_columns(statement: int) -> None:
    text = schema_statements(CassandraSettings())[statement]
    created = re.search(r"EXISTS iot\.(\w+) \(", text)
    assert created, text
    table = created.group(1)
    body = text[text.index("(") + 1 : text.index("PRIMARY KEY")]
    columns = tuple(re.findall(r"(\w+) (?:timestamp|text|double|bigint)\b", body))
    assert table == (*RESULT_TABLES, DAILY_TABLE)[statement - 1]
    assert sorted(columns) == sorted(DAILY_COLUMNS if table == DAILY_TABLE else COLUMNS)


def test_the_keyspace_is_checked_before_it_goes_into_cql() -> None:
    class Unchecked:  # settings built around the dataclass's own check
        keyspace = "iot; DROP KEYSPACE iot"
        replication_factor = 1

    with pytest.raises(ValueError, match="not a Cassandra keyspace name"):
        schema_statements(Unchecked())  # type: ignore[arg-type]  # settings that skipped their own check, on purpose


def test_a_datacenter_spreads_the_replicas_over_its_racks_with_network_topology_strategy() -> None:
    [keyspace, *_] = schema_statements(CassandraSettings(keyspace="iot", replication_factor=3, datacenter="dc1"))
    assert "{'class': 'NetworkTopologyStrategy', 'dc1': 3}" in keyspace
    [local, *_] = schema_statements(CassandraSettings(keyspace="iot"))
    assert "{'class': 'SimpleStrategy', 'replication_factor': 1}" in local


def test_the_datacenter_is_checked_before_it_goes_into_cql() -> None:
    class Unchecked:  # settings built around the dataclass's own check
        keyspace = "iot"
        replication_factor = 3
        datacenter = "dc1': 3, 'x"

    with pytest.raises(ValueError, match="not a Cassandra datacenter name"):
        schema_statements(Unchecked())  # type: ignore[arg-type]  # settings that skipped their own check, on purpose
