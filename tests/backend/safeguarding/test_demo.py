"""The demo community shows safeguarding at work: every stage of a report, a restricted
account, a confirmed infiltration with its trust graph."""

import httpx
import pytest
from fastapi import FastAPI

from backend.demo.cast import DEMO_PASSWORD
from backend.demo.loader import load_demo


async def login(client: httpx.AsyncClient, pseudonym: str) -> dict[str, str]:
    response = await client.post(
        "/api/auth/login",
        json={"pseudonym": pseudonym, "password": DEMO_PASSWORD, "client": "api"},
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


@pytest.mark.usefixtures("app")
async def test_demo_safeguarding(app: FastAPI, client: httpx.AsyncClient) -> None:
    await load_demo(app.state.settings)
    noor = await login(client, "Noor")
    open_cases = (await client.get("/api/safety/queue", headers=noor)).json()
    by_target = {c["target_pseudonym"]: c for c in open_cases}
    assert by_target["Efe"]["status"] == "open"
    assert by_target["Ivy"]["status"] == "assigned"
    decided = (await client.get("/api/safety/queue?state=decided", headers=noor)).json()
    vera = next(c for c in decided if c["target_pseudonym"] == "Vera")
    case = (await client.get(f"/api/safety/cases/{vera['case_id']}", headers=noor)).json()
    assert case["infiltration_confirmed"] is True
    plan = (await client.get(f"/api/safety/cases/{vera['case_id']}/cascade", headers=noor)).json()
    assert {"Dalia", "Esther", "Farah"} <= {n["pseudonym"] for n in plan["review"]}
    assert len(plan["open_votes_to_recount"]) == 1
    # Her second account, made from her phone: in her graph and listed apart in the cascade.
    assert [n["pseudonym"] for n in plan["same_place"]] == ["Val"]
    assert "Val" not in {n["pseudonym"] for n in plan["review"]}
    vera_id = case["target_account_id"]
    graph = (await client.get(f"/api/safety/accounts/{vera_id}/trust", headers=noor)).json()
    names = {n["account_id"]: n["pseudonym"] for n in graph["nodes"]}
    assert {names[e["target"]] for e in graph["edges"] if e["kind"] == "same_place"} == {"Val"}
    ivy = await login(client, "Ivy")
    mine = (await client.get("/api/me/restrictions", headers=ivy)).json()
    assert mine[0]["effects"] == ["direct_messages_frozen", "hidden", "read_only"]
    hana = await login(client, "Hana")
    assert [r["status"] for r in (await client.get("/api/reports/mine", headers=hana)).json()] == [
        "in_review"
    ]
