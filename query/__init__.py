"""``iot-query``: read the hourly means from Cassandra as the brief's table, a region's history or a map (docs/query.md)."""
