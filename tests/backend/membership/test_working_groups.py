from tests.backend.membership.conftest import Community, roots_of


class TestWorkingGroups:
    async def test_active_members_create_join_and_leave(self, community: Community) -> None:
        roots = await roots_of(community, 2)
        created = await community.call(
            roots[0],
            "POST",
            "/api/working-groups",
            {"name": "Welcome  team", "description": "Greets newcomers at the door."},
            expect=201,
        )
        assert created["name"] == "Welcome team"
        await community.call(
            roots[1], "POST", f"/api/working-groups/{created['id']}/members", expect=204
        )
        listed = await community.call(roots[1], "GET", "/api/working-groups", expect=200)
        assert [(g["name"], g["members"], g["i_am_member"]) for g in listed] == [
            ("Welcome team", 2, True)
        ]
        await community.call(
            roots[1], "DELETE", f"/api/working-groups/{created['id']}/members/me", expect=204
        )
        listed = await community.call(roots[1], "GET", "/api/working-groups")
        assert listed[0]["i_am_member"] is False
        duplicate = await community.call(
            roots[1], "POST", "/api/working-groups", {"name": "welcome TEAM"}, expect=409
        )
        assert duplicate["error"]["fields"] == {"name": "Taken."}

    async def test_members_cannot_join(self, community: Community) -> None:
        member = await community.member("Rosa")
        response = await community.client.get("/api/working-groups", headers=member.auth)
        assert response.status_code == 403

    async def test_approved_applicant_joins_the_groups_she_chose(
        self, community: Community
    ) -> None:
        roots = await roots_of(community, 2)
        group = await community.call(
            roots[0], "POST", "/api/working-groups", {"name": "Advocacy"}, expect=201
        )
        applicant = await community.member("Rosa")
        application = await community.call(
            applicant,
            "POST",
            "/api/applications",
            {"working_group_ids": [group["id"]]},
            expect=201,
        )
        await community.call(
            community.coordinator,
            "PUT",
            f"/api/applications/{application['id']}/interviewers",
            {"interviewer_ids": [str(roots[0].id)]},
            expect=200,
        )
        await community.call(
            roots[0],
            "PUT",
            f"/api/applications/{application['id']}/report",
            {
                "summary": "A warm and careful conversation.",
                "assessments": [
                    {"criterion_id": c, "assessment": "meets"} for c in community.criteria
                ],
            },
            expect=200,
        )
        await community.sign(applicant, "active_member_rules")
        vote_id = await community.open_vote(application["id"])
        for root in roots:
            await community.ballot(root, vote_id, "yes")
        listed = await community.call(applicant, "GET", "/api/working-groups", expect=200)
        assert [(g["name"], g["i_am_member"]) for g in listed] == [("Advocacy", True)]
