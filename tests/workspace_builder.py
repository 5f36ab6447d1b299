"""A rich workspace built through the services, as people would build it: members of several
teams, maps with notes edited, moved, deleted and restored, reviews and research requests,
stances, dot votes, comments with mentions, a persona picture, a review checkpoint, and an
evidence library with segments, sources, evidence, links and a correction."""

import datetime

from maps import persona_picture
from maps import services as map_services
from maps.models import Role
from maps.workshop import services as workshop
from research import services as research
from research.status import today
from tests.factories import UserFactory
from tests.picture_files import png

MEMBERS = [
    ("lena", Role.LEAD, "leadership"),
    ("ed", Role.EDITOR, "design"),
    ("rosa", Role.RESEARCHER, "research"),
    ("viv", Role.VIEWER, "sales"),
]


def build_rich_workspace(*, slug: str = "harbour") -> dict:
    """The workspace's users by name, its slug and its maps' ids."""
    users = {name: UserFactory(username=f"{slug}-{name}") for name, _role, _team in MEMBERS}
    lead = users["lena"]
    workspace = map_services.workspace_create(actor=lead, name=f"Harbour {slug}", slug=slug)
    for name, role, team in MEMBERS:
        if role == Role.LEAD:
            map_services.member_update(
                actor=lead, workspace_slug=slug, username=lead.username, team=team
            )
            continue
        map_services.member_add(
            actor=lead, workspace_slug=slug, username=users[name].username, role=role, team=team
        )
    rosa, ed, viv = users["rosa"], users["ed"], users["viv"]
    smb = research.segment_create(actor=rosa, workspace_slug=slug, name="Small shops")
    research.segment_create(actor=rosa, workspace_slug=slug, name="Enterprise")
    interview = research.source_create(
        actor=rosa,
        workspace_slug=slug,
        kind="interview",
        title="Shop owners, spring",
        collected_on=today() - datetime.timedelta(days=20),
        segment_id=smb.pk,
    )
    tickets = research.source_create(
        actor=rosa, workspace_slug=slug, kind="support_ticket", title="Tickets, Q3"
    )
    fresh = research.evidence_create(
        actor=rosa,
        source_id=interview.pk,
        text="I reconcile the till by hand every night and it takes an hour.",
        participant="P3",
        locator="00:12:04",
    )
    old = research.evidence_create(
        actor=rosa,
        source_id=tickets.pk,
        text="Export to my accountant fails with a timeout.",
        collected_on=today() - datetime.timedelta(days=400),
    )
    against = research.evidence_create(
        actor=rosa, source_id=tickets.pk, text="Reconciling is quick since the last update."
    )
    research.evidence_create(actor=rosa, source_id=tickets.pk, text="Unlinked: asks for dark mode.")

    board = map_services.map_create(
        actor=lead, workspace_slug=slug, title="Shop owners", persona="Mira, 41"
    )
    first = map_services.note_create(
        actor=ed, map_id=board.pk, section="pains", text="Reconciling takes too long"
    )
    second = map_services.note_create(
        actor=ed, map_id=board.pk, section="says", text="Exports fail", team="support"
    )
    third = map_services.note_create(
        actor=lead, map_id=board.pk, section="feels", text="Anxious at month end"
    )
    gone = map_services.note_create(
        actor=ed, map_id=board.pk, section="does", text="Prints every invoice"
    )
    map_services.note_update(
        actor=ed, note_id=first["id"], version=1, text="Reconciling the till takes an hour"
    )
    map_services.note_update(actor=ed, note_id=second["id"], section="pains", position=0.5)
    research.link_create(actor=rosa, note_id=first["id"], evidence_id=fresh.pk, stance="supports")
    research.link_create(actor=rosa, note_id=second["id"], evidence_id=old.pk, stance="supports")
    link = research.link_create(
        actor=rosa, note_id=third["id"], evidence_id=against.pk, stance="contradicts"
    )
    research.link_delete(actor=rosa, link_id=link["id"] if isinstance(link, dict) else link.pk)
    research.link_create(
        actor=rosa,
        note_id=third["id"],
        evidence_id=against.pk,
        stance="contradicts",
        comment="Says the opposite",
    )
    map_services.map_mark_reviewed(actor=lead, map_id=board.pk)
    research.evidence_update(actor=rosa, evidence_id=old.pk, segment=smb.pk)
    map_services.note_delete(actor=ed, note_id=gone["id"])
    map_services.note_restore(actor=ed, note_id=gone["id"])
    map_services.note_delete(actor=ed, note_id=gone["id"])
    map_services.note_review(
        actor=lead,
        note_id=second["id"],
        state="needs_research",
        comment="Is this still true?",
        assignee=rosa.username,
        due=today() + datetime.timedelta(days=7),
    )
    map_services.note_review(actor=lead, note_id=first["id"], state="validated")
    workshop.note_stance_set(actor=ed, note_id=first["id"], stance="agree")
    workshop.note_stance_set(actor=viv, note_id=first["id"], stance="agree")
    workshop.note_stance_set(actor=rosa, note_id=third["id"], stance="disagree")
    workshop.note_stance_set(actor=ed, note_id=third["id"], stance="agree")
    workshop.map_vote_configure(actor=lead, map_id=board.pk, open=True, per_person=3)
    workshop.note_vote_add(actor=viv, note_id=first["id"])
    workshop.note_vote_add(actor=viv, note_id=first["id"])
    workshop.note_vote_add(actor=ed, note_id=third["id"])
    workshop.map_vote_configure(actor=lead, map_id=board.pk, open=False)
    comment = workshop.comment_create(
        actor=ed, note_id=first["id"], text=f"@{rosa.username} do we have numbers?"
    )
    workshop.comment_create(
        actor=rosa, note_id=first["id"], text="Yes, from the spring round.", parent=comment["id"]
    )
    persona_picture.persona_picture_set(actor=lead, map_id=board.pk, data=png())
    map_services.map_update(actor=lead, map_id=board.pk, freshness_days=90, phase="drafting")
    map_services.note_create(
        actor=ed, map_id=board.pk, section="gains", text="Design wants one-click export"
    )

    classic = map_services.map_create(
        actor=ed, workspace_slug=slug, title="Accountants", layout="classic"
    )
    map_services.note_create(actor=ed, map_id=classic.pk, section="thinks", text="Clients are late")
    archived = map_services.map_create(actor=lead, workspace_slug=slug, title="Old map")
    map_services.note_create(actor=lead, map_id=archived.pk, section="says", text="Old news")
    map_services.map_archive(actor=lead, map_id=archived.pk)
    return {
        "users": users,
        "slug": workspace.slug,
        "maps": [board.pk, classic.pk, archived.pk],
    }
