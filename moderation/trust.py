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
    # Registered or signed in from the same network and browser (a keyed hash, never the
    # address): one person's several accounts, or people sharing a shelter's wifi.
    SAME_PLACE = "same_place"


# Acts that helped someone become an active member: a confirmed infiltrator's part in them
# puts the resulting card in doubt.
ADMITTING = frozenset({EdgeKind.INTERVIEWED, EdgeKind.VOTED})
# Shown for a person to weigh, never followed: the cascade neither marks, revokes nor
# reaches further through them.
FOR_REVIEW_ONLY = frozenset({EdgeKind.SAME_PLACE})


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
    # Accounts seen from the same place as the infiltrator and not reached otherwise:
    # listed for the officer to look at; applying the cascade does nothing to them.
    same_place: frozenset[Hashable] = frozenset()


def cascade(edges: Iterable[TrustEdge], infiltrator: Hashable, *, steps: int = 2) -> CascadePlan:
    """Everyone within ``steps`` of the infiltrator through the chain of trust goes under
    review; edges in FOR_REVIEW_ONLY are listed apart and never followed."""
    edge_list = list(edges)
    followed = [e for e in edge_list if e.kind not in FOR_REVIEW_ONLY]
    reach = distances(followed, infiltrator)
    review = frozenset(n for n, d in reach.items() if 0 < d <= steps)
    helped = frozenset(
        e.target for e in followed if e.source == infiltrator and e.kind in ADMITTING
    )
    beside = {
        other
        for e in edge_list
        if e.kind in FOR_REVIEW_ONLY and infiltrator in (e.source, e.target)
        for other in (e.source, e.target)
    }
    same_place = frozenset(beside - review - {infiltrator})
    return CascadePlan(review=review, admitted_with_help=helped, same_place=same_place)
