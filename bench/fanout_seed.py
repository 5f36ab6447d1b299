"""Seed the fan-out benchmark's database (run by bench/fanout.py with DATABASE_URL set).

One workspace, MAPS maps, VIEWERS viewer users and WRITERS editor users, each with an API token,
and NOTES notes per writer per map. Prints {"maps": [id...], "viewers": [token...],
"writers": [token...], "notes": {map_id: [[note ids of writer 0], ...]}}.

    python bench/fanout_seed.py MAPS VIEWERS WRITERS NOTES
"""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "empathymap.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import transaction  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from maps.models import EmpathyMap, Membership, Note, Role, Workspace  # noqa: E402


def users_with_tokens(prefix: str, count: int, workspace: Workspace, role: Role) -> list[str]:
    User = get_user_model()
    users = User.objects.bulk_create(
        User(username=f"{prefix}{number}", first_name=prefix.title(), last_name=str(number))
        for number in range(count)
    )
    Membership.objects.bulk_create(
        Membership(workspace=workspace, user=user, role=role) for user in users
    )
    tokens = Token.objects.bulk_create(Token(key=Token.generate_key(), user=user) for user in users)
    return [token.key for token in tokens]


@transaction.atomic
def main(maps: int, viewers: int, writers: int, notes: int) -> dict:
    workspace = Workspace.objects.create(name="Fan-out bench", slug="fanout-bench")
    viewer_tokens = users_with_tokens("viewer", viewers, workspace, Role.VIEWER)
    writer_tokens = users_with_tokens("writer", writers, workspace, Role.EDITOR)
    map_ids = []
    note_ids: dict[int, list[list[int]]] = {}
    for number in range(maps):
        empathy_map = EmpathyMap.objects.create(workspace=workspace, title=f"Bench map {number}")
        map_ids.append(empathy_map.pk)
        sections = empathy_map.sections
        created = Note.objects.bulk_create(
            Note(
                map=empathy_map,
                section=sections[index % len(sections)],
                text=f"Bench note {index}: customers say the onboarding takes too long",
                position=index,
            )
            for index in range(writers * notes)
        )
        ids = [note.pk for note in created]
        note_ids[empathy_map.pk] = [ids[w * notes : (w + 1) * notes] for w in range(writers)]
    return {"maps": map_ids, "viewers": viewer_tokens, "writers": writer_tokens, "notes": note_ids}


if __name__ == "__main__":
    print(json.dumps(main(*(int(arg) for arg in sys.argv[1:5]))))
