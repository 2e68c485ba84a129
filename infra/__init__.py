"""Connections to, health of, and provisioning of the services our pipeline runs on."""
