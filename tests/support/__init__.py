"""Helpers shared by the tests of several packages (the pipeline harness itself is in ``testkit``)."""
