"""What watches the pipeline: the Kafka probe (consumer lag, freshness) and the Prometheus, alert and dashboard files."""
