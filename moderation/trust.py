"""The chain of trust: who brought whom in, and what to review when trust was abused.

Edges point from the person who acted to the person acted upon: a referrer to the person
she referred, a voter to the applicant she voted on (that she voted, never how).
"""

from collections import deque
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class EdgeKind(StrEnum):
    REFERRED = "referred"
    VOUCHED = "vouched"
    INTERVIEWED = "interviewed"
    VOTED = "voted"
    MENTORED = "mentored"


# Acts that helped someone become an active member: a confirmed infiltrator's part in them
# puts the resulting card in doubt.
ADMITTING = frozenset({EdgeKind.INTERVIEWED, EdgeKind.VOTED})


@dataclass(frozen=True)
class TrustEdge:
    source: Hashable
    target: Hashable
    kind: EdgeKind


class TrustSource(Protocol):
    """Where the edges come from (the backend reads them from its tables)."""

    async def edges_touching(self, accounts: Sequence[Hashable]) -> list[TrustEdge]: ...


async def collect(source: TrustSource, start: Hashable, steps: int) -> list[TrustEdge]:
    """Every edge within ``steps`` of ``start``, in either direction."""
    seen_nodes = {start}
    frontier = [start]
    edges: dict[tuple[Hashable, Hashable, EdgeKind], TrustEdge] = {}
    for _ in range(steps):
        if not frontier:
            break
        found = await source.edges_touching(frontier)
        next_frontier: list[Hashable] = []
        for edge in found:
            edges[(edge.source, edge.target, edge.kind)] = edge
            for node in (edge.source, edge.target):
                if node not in seen_nodes:
                    seen_nodes.add(node)
                    next_frontier.append(node)
        frontier = next_frontier
    return list(edges.values())


def distances(edges: Iterable[TrustEdge], start: Hashable) -> dict[Hashable, int]:
    """Steps from ``start`` to everyone connected, edges taken both ways."""
    neighbours: dict[Hashable, set[Hashable]] = {}
    for edge in edges:
        neighbours.setdefault(edge.source, set()).add(edge.target)
        neighbours.setdefault(edge.target, set()).add(edge.source)
    found = {start: 0}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for other in neighbours.get(node, ()):
            if other not in found:
                found[other] = found[node] + 1
                queue.append(other)
    return found


@dataclass(frozen=True)
class CascadePlan:
    """What follows from a confirmed infiltration; applied by an officer in one action."""

    review: frozenset[Hashable]
    # Applicants admitted with the infiltrator's interview or ballot: cards to revoke.
    admitted_with_help: frozenset[Hashable]


def cascade(edges: Iterable[TrustEdge], infiltrator: Hashable, *, steps: int = 2) -> CascadePlan:
    edge_list = list(edges)
    reach = distances(edge_list, infiltrator)
    review = frozenset(n for n, d in reach.items() if 0 < d <= steps)
    helped = frozenset(
        e.target for e in edge_list if e.source == infiltrator and e.kind in ADMITTING
    )
    return CascadePlan(review=review, admitted_with_help=helped)
