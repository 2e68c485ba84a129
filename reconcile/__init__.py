"""``iot-reconcile``: every message of a run accounted for, hour by hour (docs/reconciliation.md)."""

from reconcile.accounting import HourAccount, Reconciliation, RejectionAccount, Totals, reconcile

__all__ = ["HourAccount", "Reconciliation", "RejectionAccount", "Totals", "reconcile"]
