"""What scrubbing erased text costs on SQLite: secure_delete on every connection, or VACUUM.

    python -m bench.secure_delete [messages]

Writes a room_message-like table in WAL mode, then times the same workload (inserts,
edits that shrink rows, deletes) with secure_delete off and on, and one VACUUM. Prints
the figures docs/privacy.md quotes.
"""

import os
import sqlite3
import sys
import tempfile
import time
import uuid
from pathlib import Path

BODY = "We met at the Tuesday group and talked about the week ahead. " * 4


def workload(path: Path, secure: bool, messages: int) -> tuple[float, float]:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute(f"PRAGMA secure_delete={'ON' if secure else 'OFF'}")
    db.execute("CREATE TABLE IF NOT EXISTS m (id TEXT PRIMARY KEY, room INT, seq INT, body TEXT)")
    start = time.perf_counter()
    for batch in range(messages // 100):
        db.execute("BEGIN IMMEDIATE")
        for n in range(100):
            db.execute(
                "INSERT INTO m VALUES (?, ?, ?, ?)",
                (uuid.uuid4().hex, batch % 20, batch * 100 + n, BODY),
            )
        db.execute("COMMIT")
    inserts = time.perf_counter() - start
    start = time.perf_counter()
    db.execute("BEGIN IMMEDIATE")
    db.execute("UPDATE m SET body = '' WHERE room = 3")
    db.execute("DELETE FROM m WHERE room = 4")
    db.execute("COMMIT")
    erase = time.perf_counter() - start
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return inserts, erase


def main() -> None:
    messages = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    with tempfile.TemporaryDirectory() as tmp:
        results = {}
        for secure in (False, True):
            path = Path(tmp) / f"s{int(secure)}.db"
            results[secure] = workload(path, secure, messages)
            leftover = path.read_bytes().count(BODY.encode())
            inserts, erase = results[secure]
            print(
                f"secure_delete={'ON ' if secure else 'OFF'}: {messages} inserts "
                f"{inserts:.2f} s, erase 1/10 of them {erase * 1000:.0f} ms, "
                f"file {os.path.getsize(path) / 1e6:.1f} MB, erased text copies left: "
                f"{leftover - (messages * 18 // 20)}"
            )
        path = Path(tmp) / "s0.db"
        db = sqlite3.connect(path, isolation_level=None)
        start = time.perf_counter()
        db.execute("VACUUM")
        vacuum = time.perf_counter() - start
        db.close()
        print(f"VACUUM of the {os.path.getsize(path) / 1e6:.1f} MB file: {vacuum * 1000:.0f} ms")
        slower = results[True][0] / results[False][0] - 1
        print(f"secure_delete cost on inserts: {slower * 100:+.1f} %")


if __name__ == "__main__":
    main()
