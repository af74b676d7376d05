"""Makes the emulator's demo people known to the bot, as if each had opened Rendezvous once in Teams.

Only people who have talked to the bot can be booked (privacy: it never touches anyone else's calendar).
In a demo there is one person at the keyboard, so `scripts/demo` seeds the others: name, work address,
Teams id `29:<object id>` (the ids e2e/playground.yml uses) and time zone. No conversation reference is
stored, so nobody gets proactive messages until they really talk to the bot.

    python -m demo.seed [--org emulator/demo_org.json]     (DATABASE_URL names the database)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from datetime import UTC, datetime
from pathlib import Path

from graph.timezones import windows_to_iana
from storage.database import DEFAULT_DATABASE_URL, Database
from storage.repositories import MemberRecord, MemberRepository

DEFAULT_ORG = Path(__file__).resolve().parent.parent / "emulator" / "demo_org.json"


def demo_members(org_file: Path) -> list[MemberRecord]:
    org = json.loads(org_file.read_text())
    now = datetime.now(UTC)
    return [
        MemberRecord(
            tenant_id=tenant["id"].lower(),
            aad_object_id=person["id"].lower(),
            teams_user_id=f"29:{person['id'].lower()}",
            name=person["display_name"],
            email=person["mail"],
            user_principal_name=person["mail"],
            time_zone=windows_to_iana(person["time_zone"]),
            first_seen_at=now,
            last_seen_at=now,
        )
        for tenant in org["tenants"]
        for person in tenant["people"]
    ]


async def seed(database_url: str, org_file: Path = DEFAULT_ORG) -> int:
    db = Database(database_url)
    try:
        await db.migrate()
        members = demo_members(org_file)
        for member in members:
            await MemberRepository(db, member.tenant_id).upsert(member)
        return len(members)
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m demo.seed", description=__doc__.splitlines()[0])
    parser.add_argument("--org", type=Path, default=DEFAULT_ORG)
    args = parser.parse_args()
    count = asyncio.run(seed(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL, args.org))
    print(f"{count} demo people can now be booked")


if __name__ == "__main__":
    main()
