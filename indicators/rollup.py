"""The roll-up engine (being built on its own branch). `rollup_schedule` is its entry point for the reporting
services: called inside the transaction that approves, reopens or changes an approved figure."""

from __future__ import annotations


def rollup_schedule(*, indicator_id: int, year: int) -> None:
    """Queue an incremental roll-up of the keys an approved figure touches (the engine's branch fills it)."""
