"""The Cassandra results tables: their schema and names, writes, rows, reads, hours and connection.

Everything that knows how the hourly means are stored is here, so the job's writer, ``iot-query``,
``iot-reconcile``, provisioning and the oracle's comparison agree by construction.
"""
