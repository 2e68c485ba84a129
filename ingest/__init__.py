"""Getting readings into Kafka: the poller of the sensor API, its mock, and the load generator."""
