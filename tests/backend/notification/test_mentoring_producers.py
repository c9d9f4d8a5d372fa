"""Mentor assigned, changed and ended: the pair hears, nobody else does."""

from backend.auth.capabilities import Role
from tests.backend.membership.conftest import Community, roots_of
from tests.backend.notification.conftest import feed, kinds_of
from tests.conftest import Person, grant


async def approved_with_mentors(community: Community) -> tuple[list[Person], Person]:
    roots = await roots_of(community, 3)
    for root, city in zip(roots[:2], ("Lyon", "Paris"), strict=True):
        await grant(community.app, root, Role.MENTOR)
        await community.call(
            root, "PUT", "/api/mentor-profile", {"languages": ["en"], "city": city}, expect=200
        )
    rosa = await community.member("Rosa")
    await community.call(rosa, "PUT", "/api/membership/me/profile", {"city": "Paris"})
    vote_id = await community.open_vote(await community.application_ready_for_vote(rosa))
    for root in roots:
        await community.ballot(root, vote_id, "yes")
    return roots, rosa


async def mentoring_texts(community: Community, person: Person) -> list[str]:
    body = await feed(community.client, person)
    return [i["text"] for i in reversed(body["items"]) if i["kind"].startswith("mentoring.")]


class TestMentoring:
    async def test_assigned_changed_and_ended(self, community: Community) -> None:
        (root_a, root_b, root_c), rosa = await approved_with_mentors(community)
        # A proposal is not news: nothing until a coordinator confirms it.
        assert await mentoring_texts(community, rosa) == []
        proposed = await community.call(community.coordinator, "GET", "/api/mentorships/proposed")
        await community.call(
            community.coordinator,
            "POST",
            f"/api/mentorships/{proposed[0]['id']}/confirmation",
            {},
            expect=200,
        )
        assert await mentoring_texts(community, rosa) == [
            "Root B is now your mentor; your private room is open."
        ]
        assert await mentoring_texts(community, root_b) == [
            "You now mentor Rosa; your private room is open."
        ]

        # She asks for another mentor: Root B hears it ended (not why), Rosa does not
        # get her own decision back.
        await community.call(
            rosa,
            "POST",
            f"/api/mentorships/{proposed[0]['id']}/change-request",
            {"reason": "we do not get along"},
            expect=201,
        )
        b_texts = await mentoring_texts(community, root_b)
        assert b_texts[-1] == "Your mentoring with Rosa has ended."
        assert all("get along" not in t for t in b_texts)
        again = await community.call(community.coordinator, "GET", "/api/mentorships/proposed")
        await community.call(
            community.coordinator,
            "POST",
            f"/api/mentorships/{again[0]['id']}/confirmation",
            {},
            expect=200,
        )
        assert await mentoring_texts(community, rosa) == [
            "Root B is now your mentor; your private room is open.",
            "You have a new mentor: Root A.",
        ]
        assert await mentoring_texts(community, root_a) == [
            "You now mentor Rosa; your private room is open."
        ]
        for person in (root_c, community.coordinator, community.officer):
            assert not [k for k in await kinds_of(community.client, person) if "mentoring" in k]
