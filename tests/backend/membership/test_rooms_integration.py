"""Where the membership path meets rooms: attendance, mentoring rooms, Roots, working groups."""

from datetime import UTC, datetime, timedelta

from backend.auth.capabilities import Role
from backend.membership import status as status_service
from tests.backend.membership.conftest import Community, roots_of
from tests.conftest import Person, grant


async def room_names(community: Community, person: Person) -> dict[str, str]:
    rooms = await community.call(person, "GET", "/api/rooms", expect=200)
    return {r["kind"]: r["name"] for r in rooms}


async def attend_a_session(community: Community, person: Person) -> None:
    """A facilitator adds her to a support group and records her at one of its sessions."""
    room = await community.call(
        community.facilitator,
        "POST",
        "/api/rooms",
        {"kind": "support_group", "name": "Tuesday circle"},
        expect=201,
    )
    await community.call(
        community.facilitator,
        "POST",
        f"/api/rooms/{room['id']}/members",
        {"account_id": str(person.id)},
        expect=201,
    )
    start = datetime.now(UTC) + timedelta(hours=1)
    group_session = await community.call(
        community.facilitator,
        "POST",
        f"/api/rooms/{room['id']}/sessions",
        {
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=2)).isoformat(),
            "topic": "Sleep",
        },
        expect=201,
    )
    await community.call(
        community.facilitator,
        "PUT",
        f"/api/rooms/{room['id']}/sessions/{group_session['id']}/attendance",
        {"account_ids": [str(person.id)]},
        expect=200,
    )


class TestAttendanceCounts:
    async def test_attending_a_support_group_session_makes_her_a_member(
        self, community: Community
    ) -> None:
        newcomer = await community.newcomer("Rosa")
        await community.vouch(newcomer)
        await attend_a_session(community, newcomer)
        me = await community.call(newcomer, "GET", "/api/membership/me")
        assert me["participation_count"] == 1
        assert me["status"] == "newcomer"  # has not signed yet
        await community.sign(newcomer, "community_rules")
        me = await community.call(newcomer, "GET", "/api/membership/me")
        assert me["status"] == "member"

    async def test_scheduled_work_promotes_who_attended_and_signed(
        self, community: Community
    ) -> None:
        newcomer = await community.newcomer("Rosa")
        unvouched = await community.newcomer("Mira")
        await community.sign(newcomer, "community_rules")
        await community.sign(unvouched, "community_rules")
        await attend_a_session(community, newcomer)
        await attend_a_session(community, unvouched)
        # Vouched for as a referral does at joining, so only the scheduled work promotes her.
        async with community.app.state.db.session() as session:
            membership = await status_service.load_membership(session, newcomer.id)
            membership.vouched = True
            session.add(membership)
        assert (await community.call(newcomer, "GET", "/api/membership/me"))["status"] == (
            "newcomer"
        )
        async with community.app.state.db.session() as session:
            assert await status_service.promote_ready_newcomers(session) == 1
        assert (await community.call(newcomer, "GET", "/api/membership/me"))["status"] == "member"
        # Signed and took part, but nobody vouched for her: she stays a newcomer.
        assert (await community.call(unvouched, "GET", "/api/membership/me"))["status"] == (
            "newcomer"
        )


class TestRoomsFollowTheMembership:
    async def test_active_members_share_the_roots_room(self, community: Community) -> None:
        roots = await roots_of(community, 2)
        assert (await room_names(community, roots[0]))["active_members"] == "Active members"
        await community.call(
            community.officer,
            "POST",
            f"/api/members/{roots[1].id}/status",
            {"status": "suspended", "reason": "under review after a report"},
            expect=200,
        )
        assert "active_members" not in await room_names(community, roots[1])

    async def test_approval_posts_an_introduction_and_confirmation_opens_the_mentoring_room(
        self, community: Community
    ) -> None:
        roots = await roots_of(community, 2)
        await grant(community.app, roots[0], Role.MENTOR)
        await community.call(roots[0], "PUT", "/api/mentor-profile", {"languages": ["en"]})
        applicant = await community.member("Rosa")
        vote_id = await community.open_vote(await community.application_ready_for_vote(applicant))
        for root in roots:
            await community.ballot(root, vote_id, "yes")
        rooms = await community.call(roots[1], "GET", "/api/rooms")
        active = next(r for r in rooms if r["kind"] == "active_members")
        messages = await community.call(roots[1], "GET", f"/api/rooms/{active['id']}/messages")
        assert "Please welcome Rosa" in messages[-1]["body"]
        assert "mentoring" not in await room_names(community, applicant)
        proposed = await community.call(community.coordinator, "GET", "/api/mentorships/proposed")
        await community.call(
            community.coordinator,
            "POST",
            f"/api/mentorships/{proposed[0]['id']}/confirmation",
            {},
            expect=200,
        )
        assert "mentoring" in await room_names(community, applicant)
        assert "mentoring" in await room_names(community, roots[0])
        await community.call(
            roots[0],
            "POST",
            f"/api/mentorships/{proposed[0]['id']}/end",
            {"reason": "moving away"},
            expect=200,
        )
        assert "mentoring" not in await room_names(community, applicant)

    async def test_working_group_rooms_follow_joining_and_leaving(
        self, community: Community
    ) -> None:
        roots = await roots_of(community, 2)
        group = await community.call(
            roots[0], "POST", "/api/working-groups", {"name": "Advocacy"}, expect=201
        )
        assert (await room_names(community, roots[0]))["working_group"] == "Advocacy"
        await community.call(roots[1], "POST", f"/api/working-groups/{group['id']}/members")
        assert "working_group" in await room_names(community, roots[1])
        await community.call(roots[1], "DELETE", f"/api/working-groups/{group['id']}/members/me")
        assert "working_group" not in await room_names(community, roots[1])
