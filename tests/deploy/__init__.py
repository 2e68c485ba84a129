"""Static checks of the container deployment (docker/): no Docker engine, no service, no network."""
