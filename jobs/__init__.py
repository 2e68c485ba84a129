"""PyFlink jobs and their submission to a Flink cluster."""
