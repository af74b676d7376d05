"""The demo's seeded people are bookable like anyone who opened Rendezvous, in their own tenant only."""

from __future__ import annotations

from demo.seed import seed
from storage.database import Database
from storage.repositories import MemberRepository

CONTOSO = "68598bba-dd82-4d63-9294-4fa5e63cbf35"
FABRIKAM = "84ebddb4-3701-4ba1-bebe-b55cc06522a1"


async def test_seeding_makes_the_demo_org_known_per_tenant_and_is_repeatable(database_url: str) -> None:
    first = await seed(database_url)
    again = await seed(database_url)

    db = Database(database_url)
    contoso = await MemberRepository(db, CONTOSO).list_all()
    [ben] = await MemberRepository(db, CONTOSO).search("Ben Walters")
    fabrikam_names = {m.name for m in await MemberRepository(db, FABRIKAM).list_all()}
    await db.dispose()
    assert first == again == len(contoso) + len(fabrikam_names)
    assert ben.email == "ben.walters@contoso.example"
    assert ben.teams_user_id == "29:49893b47-f489-471d-9d8b-e98e8bbe424c"
    assert ben.time_zone == "America/New_York"
    assert ben.conversation_reference is None  # nobody is messaged who never talked to the bot
    assert "Ben Walters" not in fabrikam_names and "Fiona Gallagher" in fabrikam_names
