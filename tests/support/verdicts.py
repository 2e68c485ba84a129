"""A verdict as the kind a test expects: a wrong kind fails the test and shows the verdict."""

from __future__ import annotations

from readings import Reading, Rejection


def rejection(verdict: object) -> Rejection:
    assert isinstance(verdict, Rejection), verdict
    return verdict


def reading(verdict: object) -> Reading:
    assert isinstance(verdict, Reading), verdict
    return verdict
