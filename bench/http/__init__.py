"""GET /api/me on the real app against a floor: bare FastAPI + aiosqlite, same queries.

Run with ``.venv/bin/python -m bench.http``; see docs/benchmarks.md.
"""
