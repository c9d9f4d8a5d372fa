"""Rooms benchmark: /ws fan-out against a bare websockets server; see docs/benchmarks-rooms.md."""
