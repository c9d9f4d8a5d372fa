"""The roster as a CP-SAT model.

Hard constraints (never relaxed): trainings valid on the day, availability, safety
exclusions, contract dates (these four by creating no variable where they forbid), at most
one shift per person in any window where two shifts would overlap or leave less than 11 h
of rest, the weekly hour cap of the contract, and on pairing shifts no more peers than
professionals. Coverage is the only thing the model may fall short of, and every missing
place is counted, reported and explained: a shortfall is never silent.

Objective, lexicographic by weights: missing places first, then the spread of hours among
peers (max - min, linear), then preferred windows. Speed comes from the formulation:
variables only where a person is eligible, rest as clique constraints over an interval
graph (one ``AddAtMostOne`` per shift start instead of one per conflicting pair),
interchangeable people ordered by hours (symmetry breaking), and hints from a previous
roster.
"""

import itertools
import math
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model

from backend.peerwork.roster import rules
from backend.peerwork.roster.rules import Reason
from backend.peerwork.rules import PeerFacts, ProfessionalFacts, ShiftFacts

LARGE_MODEL = 40_000
PEER = "peer"
PROFESSIONAL = "professional"


@dataclass(frozen=True)
class Problem:
    shifts: Sequence[ShiftFacts]
    peers: Sequence[PeerFacts]
    professionals: Sequence[ProfessionalFacts]
    # Shifts people already hold outside this roster (earlier windows, other rosters):
    # they count for rest and weekly caps but are not re-decided.
    held: dict[uuid.UUID, tuple[ShiftFacts, ...]] = field(default_factory=dict)
    # (shift id, account id) pairs from an earlier roster: where the search starts.
    hints: frozenset[tuple[uuid.UUID, uuid.UUID]] = frozenset()
    time_limit_seconds: float = 10.0
    workers: int = 2
    seed: int = 0


@dataclass
class Placed:
    shift_id: uuid.UUID
    account_id: uuid.UUID
    role: str
    partner_id: uuid.UUID | None = None


@dataclass
class Shortfall:
    shift_id: uuid.UUID
    role: str
    missing: int
    binding: list[str]
    candidates: dict[str, list[str]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "shift_id": str(self.shift_id),
            "role": self.role,
            "missing": self.missing,
            "binding": self.binding,
            "explanation": "; ".join(rules.REASON_TEXT[Reason(b)] for b in self.binding)
            if all(b in Reason.__members__.values() for b in self.binding)
            else ", ".join(self.binding),
            "candidates": self.candidates,
        }


@dataclass
class Solution:
    status: str
    placed: list[Placed]
    shortfalls: list[Shortfall]
    spread_minutes: int
    hours_by_peer: dict[uuid.UUID, int]
    objective: float
    bound: float
    gap: float
    first_solution_seconds: float | None
    first_full_seconds: float | None
    wall_seconds: float
    variables: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.shortfalls


class _Progress(cp_model.CpSolverSolutionCallback):
    def __init__(self, started: float, shortage: Any) -> None:
        super().__init__()
        self.started = started
        self.shortage = shortage
        self.first: float | None = None
        self.first_full: float | None = None

    def on_solution_callback(self) -> None:
        now = time.perf_counter() - self.started
        if self.first is None:
            self.first = now
        if self.first_full is None and (self.shortage is None or self.Value(self.shortage) == 0):
            self.first_full = now


def _cliques(shifts: Sequence[ShiftFacts]) -> list[list[int]]:
    """Maximal sets of shifts no one person may hold two of.

    Two shifts conflict when their intervals extended by the minimum rest overlap; that is
    an interval graph, whose maximal cliques are the sets alive at each start point.
    """
    order = sorted(range(len(shifts)), key=lambda i: shifts[i].starts_at)
    cliques: list[list[int]] = []
    for position, i in enumerate(order):
        point = shifts[i].starts_at
        alive = [j for j in order[: position + 1] if shifts[j].ends_at + rules.MIN_REST > point]
        if len(alive) > 1 and (not cliques or not set(alive) <= set(cliques[-1])):
            cliques.append(alive)
    return cliques


def solve(problem: Problem) -> Solution:
    started = time.perf_counter()
    model = cp_model.CpModel()
    shifts = list(problem.shifts)
    index = {s.id: i for i, s in enumerate(shifts)}

    x: dict[tuple[int, int], cp_model.IntVar] = {}
    y: dict[tuple[int, int], cp_model.IntVar] = {}
    preferred_cells: set[tuple[int, int]] = set()
    for p, peer in enumerate(problem.peers):
        before = problem.held.get(peer.account_id, ())
        for s, shift in enumerate(shifts):
            if (
                shift.peers_needed
                and not rules.static_peer_reasons(peer, shift)
                and not (before and rules.interaction_reasons(peer, shift, before))
            ):
                x[p, s] = model.new_bool_var(f"x{p}_{s}")
                if rules.is_preferred(peer.availability, shift):
                    preferred_cells.add((p, s))
    for q, pro in enumerate(problem.professionals):
        before = problem.held.get(pro.account_id, ())
        for s, shift in enumerate(shifts):
            if (
                shift.professionals_needed
                and not rules.static_professional_reasons(pro, shift)
                and not (before and rules.professional_interaction_reasons(shift, before))
            ):
                y[q, s] = model.new_bool_var(f"y{q}_{s}")

    by_shift_x: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    by_shift_y: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    by_peer: dict[int, dict[int, cp_model.IntVar]] = defaultdict(dict)
    by_pro: dict[int, dict[int, cp_model.IntVar]] = defaultdict(dict)
    for (p, s), var in x.items():
        by_shift_x[s].append(var)
        by_peer[p][s] = var
    for (q, s), var in y.items():
        by_shift_y[s].append(var)
        by_pro[q][s] = var

    shortages: list[cp_model.IntVar] = []
    short_peer: dict[int, cp_model.IntVar] = {}
    short_pro: dict[int, cp_model.IntVar] = {}
    for s, shift in enumerate(shifts):
        if shift.peers_needed:
            short_peer[s] = model.new_int_var(0, shift.peers_needed, f"sp{s}")
            model.add(sum(by_shift_x[s]) + short_peer[s] == shift.peers_needed)
            shortages.append(short_peer[s])
        if shift.professionals_needed:
            short_pro[s] = model.new_int_var(0, shift.professionals_needed, f"sq{s}")
            model.add(sum(by_shift_y[s]) + short_pro[s] == shift.professionals_needed)
            shortages.append(short_pro[s])
        if shift.needs_pairing and by_shift_x[s]:
            model.add(sum(by_shift_x[s]) <= sum(by_shift_y[s]))

    for clique in _cliques(shifts):
        for owner in (*by_peer.values(), *by_pro.values()):
            held = [owner[s] for s in clique if s in owner]
            if len(held) > 1:
                model.add_at_most_one(held)

    for p, peer in enumerate(problem.peers):
        weeks: dict[tuple[int, int], list[int]] = defaultdict(list)
        for s in by_peer[p]:
            weeks[shifts[s].week].append(s)
        before = problem.held.get(peer.account_id, ())
        for week, members in weeks.items():
            cap = rules.weekly_cap_for(peer, week, [shifts[s].local_day for s in members])
            if cap is not None:
                cap -= sum(h.minutes for h in before if h.week == week)
            if cap is not None and sum(shifts[s].minutes for s in members) > cap:
                model.add(sum(shifts[s].minutes * by_peer[p][s] for s in members) <= cap)

    total_minutes = sum(s.minutes * s.peers_needed for s in shifts)
    totals: dict[int, cp_model.IntVar] = {}
    for p in range(len(problem.peers)):
        if by_peer[p]:
            upper = sum(shifts[s].minutes for s in by_peer[p])
            totals[p] = model.new_int_var(0, upper, f"t{p}")
            model.add(totals[p] == sum(shifts[s].minutes * v for s, v in by_peer[p].items()))

    # Interchangeable people (same eligible shifts, caps, preferences) are ordered by
    # hours: the search never explores the same roster with two of them swapped.
    groups: dict[Any, list[int]] = defaultdict(list)
    for p, peer in enumerate(problem.peers):
        if p in totals:
            key = (
                tuple(sorted(by_peer[p])),
                tuple(
                    sorted((c.starts_on, c.ends_on, c.weekly_cap_minutes) for c in peer.contracts)
                ),
                tuple(sorted(s for s in by_peer[p] if (p, s) in preferred_cells)),
                tuple(sorted(h.id for h in problem.held.get(peer.account_id, ()))),
            )
            groups[key].append(p)
    for members in groups.values():
        for a, b in itertools.pairwise(members):
            model.add(totals[a] >= totals[b])
    pro_groups: dict[Any, list[int]] = defaultdict(list)
    for q, pro in enumerate(problem.professionals):
        if by_pro[q]:
            pro_key = (
                tuple(sorted(by_pro[q])),
                tuple(sorted(h.id for h in problem.held.get(pro.account_id, ()))),
            )
            pro_groups[pro_key].append(q)
    for members in pro_groups.values():
        for a, b in itertools.pairwise(members):
            load_a = sum(shifts[s].minutes * v for s, v in by_pro[a].items())
            load_b = sum(shifts[s].minutes * v for s, v in by_pro[b].items())
            model.add(load_a >= load_b)

    spread: cp_model.LinearExpr | int = 0
    spread_vars: tuple[cp_model.IntVar, cp_model.IntVar] | None = None
    step_vars: tuple[int, cp_model.IntVar, cp_model.IntVar] | None = None
    if totals:
        high = model.new_int_var(0, total_minutes, "high")
        low = model.new_int_var(0, total_minutes, "low")
        model.add_max_equality(high, list(totals.values()))
        model.add_min_equality(low, list(totals.values()))
        spread = high - low
        spread_vars = (high, low)
        # Redundant cuts that let the solver prove optimality: totals are multiples of
        # the shifts' common length, and the average lies between the lowest and highest.
        step = math.gcd(*(shifts[s].minutes for p in totals for s in by_peer[p]))
        if step > 1:
            high_steps = model.new_int_var(0, total_minutes // step, "high_steps")
            low_steps = model.new_int_var(0, total_minutes // step, "low_steps")
            model.add(high == step * high_steps)
            model.add(low == step * low_steps)
            step_vars = (step, high_steps, low_steps)
        model.add(len(totals) * high >= sum(totals.values()))
        model.add(len(totals) * low <= sum(totals.values()))

    preferred = [x[cell] for cell in sorted(preferred_cells)]
    pref_weight = 1
    spread_weight = len(preferred) + 1
    short_weight = spread_weight * (total_minutes + 1) + 1
    shortage = sum(shortages) if shortages else None
    model.minimize(
        short_weight * (shortage if shortage is not None else 0)
        + spread_weight * spread
        - pref_weight * sum(preferred)
    )

    peer_ids = [peer.account_id for peer in problem.peers]
    pro_ids = [pro.account_id for pro in problem.professionals]
    # Start from the previous roster when there is one, else from the greedy roster: the
    # solver then has a feasible answer within its first moments.
    baseline: Solution | None = None
    hints = set(problem.hints)
    if not hints:
        baseline = greedy(problem)
        hints = {(p.shift_id, p.account_id) for p in baseline.placed}
    hinted_x = _order_hint(
        {(p, s) for (p, s) in x if (shifts[s].id, peer_ids[p]) in hints},
        groups.values(),
        lambda p, held: sum(shifts[s].minutes for s in held),
    )
    hinted_y = _order_hint(
        {(q, s) for (q, s) in y if (shifts[s].id, pro_ids[q]) in hints},
        pro_groups.values(),
        lambda q, held: sum(shifts[s].minutes for s in held),
    )
    for cell, var in x.items():
        model.add_hint(var, cell in hinted_x)
    for cell, var in y.items():
        model.add_hint(var, cell in hinted_y)
    # A complete hint: CP-SAT checks it once and, when it holds, starts from it at once.
    for s, short in short_peer.items():
        model.add_hint(short, shifts[s].peers_needed - sum(1 for (_, t) in hinted_x if t == s))
    for s, short in short_pro.items():
        model.add_hint(
            short, shifts[s].professionals_needed - sum(1 for (_, t) in hinted_y if t == s)
        )
    hinted_totals = {p: sum(shifts[s].minutes for (q, s) in hinted_x if q == p) for p in totals}
    for p, total in totals.items():
        model.add_hint(total, hinted_totals[p])
    if spread_vars is not None:
        model.add_hint(spread_vars[0], max(hinted_totals.values()))
        model.add_hint(spread_vars[1], min(hinted_totals.values()))
        if step_vars is not None:
            step, high_steps, low_steps = step_vars
            model.add_hint(high_steps, max(hinted_totals.values()) // step)
            model.add_hint(low_steps, min(hinted_totals.values()) // step)

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = problem.time_limit_seconds
    solver.parameters.num_search_workers = problem.workers
    solver.parameters.random_seed = problem.seed
    # Measured on bench/roster: probing in presolve costs seconds on these models and
    # buys nothing the search does not find; past ~40k variables presolve itself does.
    solver.parameters.cp_model_probing_level = 0
    solver.parameters.max_presolve_iterations = 1
    if len(x) + len(y) > LARGE_MODEL:
        solver.parameters.cp_model_presolve = False
    progress = _Progress(started, shortage)
    status = solver.solve(model, progress)
    wall = time.perf_counter() - started
    status_name = solver.status_name(status)

    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        # No solution in the time allowed: the greedy roster keeps every hard constraint
        # too, so it is the best partial roster we have. Said so, never hidden.
        fallback = baseline or greedy(problem)
        fallback.status = f"{status_name}_GREEDY"
        fallback.wall_seconds = wall
        fallback.gap = 1.0
        fallback.variables = len(x) + len(y)
        fallback.notes.append(
            "The solver found no roster in the time allowed; this is the greedy roster, "
            "which keeps every hard constraint but is not optimised."
        )
        pair_up(shifts, fallback.placed)
        return fallback

    placed: list[Placed] = []
    for (p, s), var in x.items():
        if solver.value(var):
            placed.append(Placed(shifts[s].id, peer_ids[p], PEER))
    for (q, s), var in y.items():
        if solver.value(var):
            placed.append(Placed(shifts[s].id, pro_ids[q], PROFESSIONAL))
    pair_up(shifts, placed)

    hours = {peer_ids[p]: int(solver.value(t)) for p, t in totals.items()}
    objective = solver.objective_value
    bound = solver.best_objective_bound
    gap = abs(objective - bound) / max(1.0, abs(objective))
    solution = Solution(
        status=status_name,
        placed=placed,
        shortfalls=[],
        spread_minutes=(max(hours.values()) - min(hours.values())) if hours else 0,
        hours_by_peer=hours,
        objective=objective,
        bound=bound,
        gap=gap,
        first_solution_seconds=progress.first,
        first_full_seconds=progress.first_full,
        wall_seconds=wall,
        variables=len(x) + len(y),
    )
    solution.shortfalls = explain(problem, placed, index)
    return solution


def _order_hint(
    cells: set[tuple[int, int]],
    groups: Any,
    load: Any,
) -> set[tuple[int, int]]:
    """Permute hinted schedules inside each group of interchangeable people so the hint
    satisfies the symmetry-breaking order (heaviest first)."""
    by_person: dict[int, list[int]] = defaultdict(list)
    for person, s in cells:
        by_person[person].append(s)
    result = set(cells)
    for members in groups:
        if len(members) < 2:
            continue
        schedules = sorted(
            (by_person.get(m, []) for m in members), key=lambda held: -load(None, held)
        )
        for member in members:
            for s in by_person.get(member, []):
                result.discard((member, s))
        for member, held in zip(members, schedules, strict=True):
            result.update((member, s) for s in held)
    return result


def pair_up(shifts: Sequence[ShiftFacts], placed: list[Placed]) -> None:
    """Give each peer on a pairing shift her own professional, keeping pairs that worked
    together before (continuity), in shift order."""
    by_shift: dict[uuid.UUID, list[Placed]] = defaultdict(list)
    for item in placed:
        by_shift[item.shift_id].append(item)
    together: dict[tuple[uuid.UUID, uuid.UUID], int] = defaultdict(int)
    for shift in sorted(shifts, key=lambda s: s.starts_at):
        people = by_shift.get(shift.id, [])
        peers = sorted((i for i in people if i.role == PEER), key=lambda i: str(i.account_id))
        pros = sorted((i.account_id for i in people if i.role == PROFESSIONAL), key=str)
        if not shift.needs_pairing:
            continue
        free = list(pros)
        for peer in peers:
            if not free:
                break
            best = max(free, key=lambda q: (together[peer.account_id, q], -free.index(q)))
            free.remove(best)
            peer.partner_id = best
            together[peer.account_id, best] += 1


def explain(
    problem: Problem, placed: Sequence[Placed], index: dict[uuid.UUID, int]
) -> list[Shortfall]:
    """For every shift short of people: who could have come, and what stopped each of them."""
    shifts = problem.shifts
    held: dict[uuid.UUID, list[ShiftFacts]] = defaultdict(list)
    for account_id, before in problem.held.items():
        held[account_id].extend(before)
    on_shift: dict[tuple[uuid.UUID, str], int] = defaultdict(int)
    for item in placed:
        held[item.account_id].append(shifts[index[item.shift_id]])
        on_shift[item.shift_id, item.role] += 1
    result: list[Shortfall] = []
    for shift in shifts:
        peers_on = on_shift[shift.id, PEER]
        pros_on = on_shift[shift.id, PROFESSIONAL]
        missing_peers = shift.peers_needed - peers_on
        if missing_peers > 0:
            candidates: dict[str, list[str]] = {}
            for peer in problem.peers:
                if any(o.id == shift.id for o in held[peer.account_id]):
                    continue
                reasons = rules.static_peer_reasons(peer, shift) or rules.interaction_reasons(
                    peer, shift, held[peer.account_id]
                )
                if not reasons and not rules.pairing_holds(shift, peers_on + 1, pros_on):
                    reasons = [Reason.NO_PROFESSIONAL]
                candidates[str(peer.account_id)] = list(reasons) or ["time_limit"]
            result.append(
                Shortfall(shift.id, PEER, missing_peers, _binding(candidates), candidates)
            )
        missing_pros = shift.professionals_needed - pros_on
        if missing_pros > 0:
            candidates = {}
            for pro in problem.professionals:
                if any(o.id == shift.id for o in held[pro.account_id]):
                    continue
                reasons = rules.static_professional_reasons(
                    pro, shift
                ) or rules.professional_interaction_reasons(shift, held[pro.account_id])
                candidates[str(pro.account_id)] = list(reasons) or ["time_limit"]
            result.append(
                Shortfall(shift.id, PROFESSIONAL, missing_pros, _binding(candidates), candidates)
            )
    return result


def _binding(candidates: dict[str, list[str]]) -> list[str]:
    if not candidates:
        return ["no_candidates"]
    seen: dict[str, int] = defaultdict(int)
    for reasons in candidates.values():
        for reason in reasons:
            seen[reason] += 1
    return sorted(seen, key=lambda r: (-seen[r], r))


def greedy(problem: Problem) -> Solution:
    """The benchmark's baseline: shifts in time order, each place to the eligible person
    with the fewest hours so far. Same hard constraints, no look-ahead."""
    started = time.perf_counter()
    shifts = sorted(problem.shifts, key=lambda s: s.starts_at)
    held: dict[uuid.UUID, list[ShiftFacts]] = defaultdict(list)
    for account_id, before in problem.held.items():
        held[account_id].extend(before)
    hours: dict[uuid.UUID, int] = {p.account_id: 0 for p in problem.peers}
    placed: list[Placed] = []
    for shift in shifts:
        pros = sorted(
            (
                q
                for q in problem.professionals
                if not rules.static_professional_reasons(q, shift)
                and not rules.professional_interaction_reasons(shift, held[q.account_id])
            ),
            key=lambda q: sum(o.minutes for o in held[q.account_id]),
        )[: shift.professionals_needed]
        for q in pros:
            held[q.account_id].append(shift)
            placed.append(Placed(shift.id, q.account_id, PROFESSIONAL))
        room = shift.peers_needed if not shift.needs_pairing else min(shift.peers_needed, len(pros))
        peers = sorted(
            (
                p
                for p in problem.peers
                if not rules.static_peer_reasons(p, shift)
                and not rules.interaction_reasons(p, shift, held[p.account_id])
            ),
            key=lambda p: hours[p.account_id],
        )[:room]
        for p in peers:
            held[p.account_id].append(shift)
            hours[p.account_id] += shift.minutes
            placed.append(Placed(shift.id, p.account_id, PEER))
    index = {s.id: i for i, s in enumerate(problem.shifts)}
    counted = {
        p.account_id: hours[p.account_id]
        for p in problem.peers
        if any(not rules.static_peer_reasons(p, s) for s in problem.shifts)
    }
    wall = time.perf_counter() - started
    return Solution(
        status="GREEDY",
        placed=placed,
        shortfalls=explain(problem, placed, index),
        spread_minutes=(max(counted.values()) - min(counted.values())) if counted else 0,
        hours_by_peer=counted,
        objective=0,
        bound=0,
        gap=0,
        first_solution_seconds=wall,
        first_full_seconds=None,
        wall_seconds=wall,
    )
