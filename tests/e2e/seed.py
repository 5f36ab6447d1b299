"""Seed the end-to-end database: one workspace, its members and their API tokens.

Run as a script with DATABASE_URL set; prints {"workspace": slug, "tokens": {username: key}}.
"""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "empathymap.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from maps.models import Membership, Role, Workspace  # noqa: E402

MEMBERS = {"alice": Role.LEAD, "bob": Role.EDITOR, "carol": Role.EDITOR, "vera": Role.VIEWER}


def main() -> None:
    workspace, _ = Workspace.objects.get_or_create(slug="e2e", defaults={"name": "End to end"})
    tokens = {}
    for username, role in MEMBERS.items():
        user, _ = get_user_model().objects.get_or_create(username=username)
        Membership.objects.get_or_create(workspace=workspace, user=user, defaults={"role": role})
        tokens[username] = Token.objects.get_or_create(user=user)[0].key
    print(json.dumps({"workspace": workspace.slug, "tokens": tokens}))


if __name__ == "__main__":
    main()
