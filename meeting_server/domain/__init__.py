"""Pure meeting rules: plain dataclasses and functions, no I/O, no asyncio, no SQL.

A command plus the current state gives events or an `AppError`; `apply(state, event)` gives the next state.
"""
