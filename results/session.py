"""One way to open a Cassandra session, so every component uses the same auth and timeouts."""

from __future__ import annotations

from cassandra import ConsistencyLevel, DriverException
from cassandra.auth import PlainTextAuthProvider
from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile, NoHostAvailable, Session
from cassandra.policies import DCAwareRoundRobinPolicy, TokenAwarePolicy

from settings import CassandraSettings

# What the driver raises when no node answers (NoHostAvailable), one is too slow
# (OperationTimedOut) or the schema is missing (InvalidRequest): the last two are DriverExceptions.
CASSANDRA_ERRORS = (NoHostAvailable, DriverException)


def connect(settings: CassandraSettings, keyspace: str | None = None, timeout: float = 10.0) -> Session:
    """A session on the configured node, with PasswordAuthenticator credentials when a user is set,
    reading and writing at the configured consistency in the configured datacenter (if any)."""
    auth = (
        PlainTextAuthProvider(username=settings.username, password=settings.password or "")
        if settings.username
        else None
    )
    profile = ExecutionProfile(
        load_balancing_policy=TokenAwarePolicy(DCAwareRoundRobinPolicy(local_dc=settings.datacenter or None)),
        request_timeout=timeout,
        consistency_level=ConsistencyLevel.name_to_value[settings.consistency],
    )
    cluster = Cluster(
        [settings.host],
        port=settings.port,
        auth_provider=auth,
        execution_profiles={EXEC_PROFILE_DEFAULT: profile},
        connect_timeout=timeout,
        control_connection_timeout=timeout,
        protocol_version=5,
    )
    return cluster.connect(keyspace)
