"""How long one password hash takes with Tandem's Argon2id parameters, on this machine.

    python -m bench.argon2 [--rounds N]

Reports the median and range of `hash` and `verify` with the parameters the settings
give (defaults: RFC 9106's second profile, 64 MiB, t=3, p=4), and the same for the
cheaper parameters the test suite uses, so the two can be compared in one run.
"""

import argparse
import statistics
import time

from argon2 import PasswordHasher, Type

from backend.core.config import Settings


def _measure(hasher: PasswordHasher, rounds: int) -> tuple[list[float], list[float]]:
    hashes, verifies = [], []
    for n in range(rounds):
        password = f"correct horse battery {n}"
        start = time.perf_counter()
        stored = hasher.hash(password)
        hashes.append(time.perf_counter() - start)
        start = time.perf_counter()
        hasher.verify(stored, password)
        verifies.append(time.perf_counter() - start)
    return hashes, verifies


def _line(label: str, samples: list[float]) -> str:
    ms = [s * 1000 for s in samples]
    return (
        f"{label:<28} median {statistics.median(ms):7.1f} ms   "
        f"min {min(ms):7.1f}   max {max(ms):7.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    profiles = {
        f"settings (m={settings.argon2_memory_kib} KiB, t={settings.argon2_time_cost}, "
        f"p={settings.argon2_parallelism})": (
            settings.argon2_memory_kib,
            settings.argon2_time_cost,
            settings.argon2_parallelism,
        ),
        "tests (m=1024 KiB, t=1, p=1)": (1024, 1, 1),
    }
    for name, (memory, time_cost, parallelism) in profiles.items():
        hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory, parallelism=parallelism, type=Type.ID
        )
        hashes, verifies = _measure(hasher, args.rounds)
        print(name)
        print(_line("  hash", hashes))
        print(_line("  verify", verifies))


if __name__ == "__main__":
    main()
