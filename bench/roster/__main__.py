"""Roster benchmark: Tandem's CP-SAT model against a greedy assigner on synthetic instances.

    .venv/bin/python -m bench.roster            # the full run (about 3 minutes)
    .venv/bin/python -m bench.roster --quick    # shorter limits, for a smoke check

Instances are deterministic (seeded): workers drawn from a few contract/training/
availability profiles (as real teams are: a handful of contract templates), 28 days,
4 or 5 shift types, outreach paired with professionals, some safety exclusions, demand
at about two thirds of capacity. Figures go to stdout and to docs/benchmarks-roster.md.
"""

import argparse
import random
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from backend.peerwork import rules
from backend.peerwork.roster import solver

TZ = ZoneInfo("Europe/Paris")
OUTPUT = Path(__file__).resolve().parents[2] / "docs" / "benchmarks-roster.md"
FIRST_DAY = date(2030, 3, 4)  # a Monday, before summer time

# (name, start hour, end hour, peers, pairing, training index or None, zone, weekdays)
SHIFT_TYPES = (
    ("outreach", 19, 23, 2, True, 0, "North", (1, 3, 5)),
    ("drop_in_am", 9, 13, 2, False, None, "Centre", (0, 1, 2, 3, 4, 5)),
    ("drop_in_pm", 14, 18, 1, False, None, "Centre", (0, 1, 2, 3, 4)),
    ("helpline", 18, 22, 1, False, 1, "Remote", (0, 1, 2, 3, 4, 5, 6)),
    ("accompaniment", 10, 12, 1, False, 2, "Town hall", (0, 2, 4)),
)
TRAININGS = [uuid.UUID(int=i + 1) for i in range(3)]


@dataclass(frozen=True)
class Instance:
    name: str
    workers: int
    days: int
    problem: solver.Problem


def _at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=TZ).astimezone(UTC)


def make_shifts(
    rng: random.Random, workers: int, days: int, type_count: int, first: date
) -> list[rules.ShiftFacts]:
    scale = max(1, round(workers / 20))
    shifts = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        for name, start, end, peers, pairing, training, zone, weekdays in SHIFT_TYPES[:type_count]:
            if day.weekday() not in weekdays:
                continue
            for copy in range(scale):
                shifts.append(
                    rules.shift_facts(
                        id=uuid.UUID(int=rng.getrandbits(128)),
                        starts_at=_at(day, start),
                        ends_at=_at(day, end),
                        zone=zone if copy % 2 == 0 or zone != "North" else "South",
                        required_trainings=() if training is None else (TRAININGS[training],),
                        needs_pairing=pairing,
                        peers_needed=peers,
                        professionals_needed=peers if pairing else 0,
                        tz=TZ,
                        label=name,
                    )
                )
    return shifts


def make_instance(
    seed: int, workers: int, days: int, type_count: int, *, impossible: bool = False
) -> Instance:
    rng = random.Random(seed)
    profiles = []
    for _ in range(8):
        off = set(rng.sample(range(7), rng.choice((1, 2))))
        profiles.append(
            (
                rng.choice((16, 20, 24, 28, 35)) * 60,
                tuple(t for t in TRAININGS if rng.random() < 0.6),
                rules.Availability(
                    weekly={
                        d: (rules.Window(8 * 60, 24 * 60, d < 5),) for d in range(7) if d not in off
                    }
                ),
                frozenset({"north"}) if rng.random() < 0.2 else frozenset(),
            )
        )
    peers = []
    for i in range(workers):
        cap, trained, availability, excluded = profiles[i % len(profiles)]
        peers.append(
            rules.PeerFacts(
                account_id=uuid.UUID(int=10_000 + i),
                contracts=(
                    rules.ContractTerms(
                        uuid.UUID(int=20_000 + i), "employment", date(2030, 1, 1), None, cap
                    ),
                ),
                trainings=tuple(
                    rules.TrainingDone(t, date(2030, 1, 1), date(2031, 1, 1)) for t in trained
                ),
                availability=availability,
                excluded_zones=excluded,
            )
        )
    always = rules.Availability(weekly={d: (rules.Window(8 * 60, 24 * 60),) for d in range(7)})
    professionals = [
        rules.ProfessionalFacts(account_id=uuid.UUID(int=30_000 + i), availability=always)
        for i in range(max(2, workers // 5))
    ]
    shifts = make_shifts(rng, workers, days, type_count, FIRST_DAY)
    if impossible:
        # A training nobody holds, on a few shifts, and a zone everyone excludes.
        nobody = uuid.UUID(int=999)
        for index in range(0, len(shifts), max(1, len(shifts) // 6)):
            s = shifts[index]
            shifts[index] = replace(s, required_trainings=frozenset({nobody}))
    name = f"{workers} workers x {days} days x {type_count} types" + (
        " (impossible shifts)" if impossible else ""
    )
    return Instance(
        name, workers, days, solver.Problem(shifts=shifts, peers=peers, professionals=professionals)
    )


def with_limits(problem: solver.Problem, seconds: float, **changes: object) -> solver.Problem:
    return replace(problem, time_limit_seconds=seconds, workers=2, **changes)  # type: ignore[arg-type]


def places(problem: solver.Problem) -> int:
    return sum(s.peers_needed + s.professionals_needed for s in problem.shifts)


def missing(solution: solver.Solution) -> int:
    return sum(s.missing for s in solution.shortfalls)


@dataclass
class Row:
    instance: str
    shifts: int
    variables: int
    first_s: float | None
    first_full_s: float | None
    final_s: float
    status: str
    gap: float
    spread_h: float
    coverage: float
    greedy_spread_h: float
    greedy_coverage: float
    greedy_ms: float
    explained: int = 0


def run(instance: Instance, seconds: float) -> Row:
    return solve_and_measure(instance, seconds)[0]


def solve_and_measure(instance: Instance, seconds: float) -> tuple[Row, solver.Solution]:
    problem = with_limits(instance.problem, seconds)
    solution = solver.solve(problem)
    baseline = solver.greedy(problem)
    total = places(problem)
    row = Row(
        instance=instance.name + f", {seconds:g} s limit",
        shifts=len(problem.shifts),
        variables=solution.variables,
        first_s=solution.first_solution_seconds,
        first_full_s=solution.first_full_seconds,
        final_s=solution.wall_seconds,
        status=solution.status,
        gap=solution.gap,
        spread_h=solution.spread_minutes / 60,
        coverage=1 - missing(solution) / total,
        greedy_spread_h=baseline.spread_minutes / 60,
        greedy_coverage=1 - missing(baseline) / total,
        greedy_ms=baseline.wall_seconds * 1000,
        explained=len(solution.shortfalls),
    )
    return row, solution


def rolling(seed: int, workers: int, weeks: int, window_weeks: int, seconds: float) -> list[Row]:
    """Solve a long period in consecutive windows; each window sees the previous one's
    shifts as held (rest and caps across the boundary)."""
    base = make_instance(seed, workers, weeks * 7, 5)
    rows = []
    held: dict[uuid.UUID, list[rules.ShiftFacts]] = {}
    for window in range(weeks // window_weeks):
        first = FIRST_DAY + timedelta(days=7 * window_weeks * window)
        last = first + timedelta(days=7 * window_weeks)
        shifts = [s for s in base.problem.shifts if first <= s.local_day < last]
        problem = solver.Problem(
            shifts=shifts,
            peers=base.problem.peers,
            professionals=base.problem.professionals,
            held={k: tuple(v) for k, v in held.items()},
            time_limit_seconds=seconds,
            workers=2,
        )
        name = f"{workers} workers, window {window + 1} of {weeks // window_weeks}"
        row, solution = solve_and_measure(
            Instance(name, workers, window_weeks * 7, problem), seconds
        )
        rows.append(row)
        index = {s.id: s for s in shifts}
        for p in solution.placed:
            held.setdefault(p.account_id, []).append(index[p.shift_id])
    return rows


def fmt(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


NOTES = """
Times include building the model in Python (about 0.2 s at 60 workers, 2 s at 150).
Against the issue's targets: 60 x 28 days gives a first full roster well under 1 s and is
proven optimal within the 10 s limit (so the gap at 10 s is 0 %); the instance with
uncoverable shifts returns its explained shortfalls within 5 s (the explanation exists from
the first solution). 150 workers over 8 weeks, in 4-week windows where each window holds
the previous one's shifts for rest and caps: a first full roster in about 3 s per window,
but CP-SAT does not prove optimality in 10 s there (presolve is switched off above 40k
variables because it alone took longer than the limit); its roster is as fair as greedy's,
not fairer. What made the difference at 60 workers: the complete greedy hint permuted into
the symmetry order (first solution from about 1 s to 0.3 s), the gcd and average cuts on
the spread (20 workers: unproven after 10 s, then proven in 0.2 s), and no probing in
presolve.
"""


COLUMNS = (
    "instance",
    "shifts",
    "vars",
    "first roster (s)",
    "first full (s)",
    "final (s)",
    "status",
    "gap",
    "spread (h)",
    "coverage",
    "greedy spread (h)",
    "greedy coverage",
    "greedy (ms)",
    "uncovered, explained",
)


def table(rows: Sequence[Row]) -> str:
    lines = [
        "| " + " | ".join(COLUMNS) + " |",
        "| --- | " + " | ".join("---:" if c != "status" else "---" for c in COLUMNS[1:]) + " |",
    ]
    for r in rows:
        cells = [
            r.instance,
            str(r.shifts),
            str(r.variables),
            fmt(r.first_s),
            fmt(r.first_full_s),
            fmt(r.final_s),
            r.status,
            f"{r.gap:.1%}",
            f"{r.spread_h:.1f}",
            f"{r.coverage:.1%}",
            f"{r.greedy_spread_h:.1f}",
            f"{r.greedy_coverage:.1%}",
            f"{r.greedy_ms:.0f}",
            str(r.explained),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="short limits (smoke check)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    short, long = (2.0, 5.0) if args.quick else (10.0, 60.0)
    started = time.perf_counter()
    rows = [
        run(make_instance(1, 20, 28, 3), short),
        run(make_instance(2, 60, 28, 4), short),
        run(make_instance(2, 60, 28, 4), long),
        run(make_instance(3, 60, 28, 5, impossible=True), min(short, 4.0)),
        *rolling(4, 150, 8, 4, short),
    ]
    text = table(rows)
    print(text)
    elapsed = time.perf_counter() - started
    print(f"\ntotal {elapsed:.0f} s", file=sys.stderr)
    if not args.no_write:
        OUTPUT.write_text(
            "# Roster benchmark\n\n"
            "Produced by `python -m bench.roster` (see its docstring for the instances). "
            "CP-SAT with 2 search workers; the greedy assigner fills shifts in time order with "
            "the eligible person with the fewest hours, under the same hard constraints.\n\n"
            "- *first roster*: time to CP-SAT's first feasible solution (coverage may be "
            "partial); *first full*: first solution covering every coverable place.\n"
            "- *gap*: CP-SAT's relative gap between objective and bound at the end.\n"
            "- *spread*: max - min hours among peers who could work; *coverage*: places "
            "filled over places needed.\n\n"
            + text
            + "\n"
            + NOTES
            + f"\nMachine: 2 shared cores. Whole run {elapsed:.0f} s.\n",
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
