from django.conf import settings
from django.db import models
from django.db.models import F, Q


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    EDITOR = "editor", "Editor"
    RESEARCHER = "researcher", "Researcher"
    LEAD = "lead", "Lead"

    @property
    def rank(self) -> int:
        return ROLE_ORDER.index(self.value)

    def includes(self, other: "Role | str") -> bool:
        """Each role includes the ones before it (contract: viewer < editor < researcher < lead)."""
        return self.rank >= ROLE_ORDER.index(Role(other).value)


ROLE_ORDER = [Role.VIEWER.value, Role.EDITOR.value, Role.RESEARCHER.value, Role.LEAD.value]


class Layout(models.TextChoices):
    CLASSIC = "classic", "Classic (4 sections)"
    EXTENDED = "extended", "Extended (9 sections)"


class Section(models.TextChoices):
    SAYS = "says", "Says"
    THINKS = "thinks", "Thinks"
    DOES = "does", "Does"
    FEELS = "feels", "Feels"
    GOALS = "goals", "Goals"
    PAINS = "pains", "Pains"
    GAINS = "gains", "Gains"
    SEES = "sees", "Sees"
    HEARS = "hears", "Hears"


LAYOUT_SECTIONS = {
    Layout.CLASSIC: ["says", "thinks", "does", "feels"],
    Layout.EXTENDED: [
        "says",
        "thinks",
        "does",
        "feels",
        "goals",
        "pains",
        "gains",
        "sees",
        "hears",
    ],
}

SECTION_PROMPTS = {
    "says": "What do they say out loud, in their own words?",
    "thinks": "What occupies their thinking but may go unsaid?",
    "does": "What do they actually do? Behaviour we can observe.",
    "feels": "What worries or excites them? Emotions in the moment.",
    "goals": "What are they trying to achieve?",
    "pains": "What frustrates them, blocks them, or costs them?",
    "gains": "What would make them happy or successful?",
    "sees": "What do they see around them: tools, peers, the market?",
    "hears": "What do they hear from colleagues, friends, influencers?",
}


class Team(models.TextChoices):
    PRODUCT = "product", "Product"
    DESIGN = "design", "Design"
    ENGINEERING = "engineering", "Engineering"
    MARKETING = "marketing", "Marketing"
    SALES = "sales", "Sales"
    SUPPORT = "support", "Support"
    RESEARCH = "research", "Research"
    LEADERSHIP = "leadership", "Leadership"
    OTHER = "other", "Other"


class Phase(models.TextChoices):
    # Drafting: members who are not leads see only their own team's notes (maps/visibility.py).
    OPEN = "open", "Open: everyone sees every note"
    DRAFTING = "drafting", "Drafting: each team sees only its own notes"


class ReviewState(models.TextChoices):
    UNREVIEWED = "unreviewed", "Unreviewed"
    VALIDATED = "validated", "Validated"
    NEEDS_RESEARCH = "needs_research", "Needs research"
    DISMISSED = "dismissed", "Dismissed"


class EventKind(models.TextChoices):
    NOTE_CREATED = "note.created"
    NOTE_UPDATED = "note.updated"
    NOTE_MOVED = "note.moved"
    NOTE_DELETED = "note.deleted"
    NOTE_RESTORED = "note.restored"
    NOTE_REVIEWED = "note.reviewed"
    LINK_CREATED = "link.created"
    LINK_DELETED = "link.deleted"
    MAP_UPDATED = "map.updated"
    # The workshop (maps/workshop/): stances, dot votes and comments.
    NOTE_STANCE = "note.stance"
    NOTE_VOTED = "note.voted"
    COMMENT_CREATED = "comment.created"


NOTE_TEXT_MAX = 1000


class Workspace(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    # Archived: read-only, everything in it (maps, notes, evidence), and listed apart.
    archived = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)
    # The member's team in this workspace: their new notes' team, and what they see while drafting.
    team = models.CharField(max_length=16, choices=Team.choices, default=Team.OTHER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["workspace", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="membership_unique_user"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_valid"),
            models.CheckConstraint(condition=Q(team__in=Team.values), name="membership_team_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace} ({self.role})"


class EmpathyMap(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="maps")
    title = models.CharField(max_length=200)
    persona = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True, max_length=4000)
    layout = models.CharField(max_length=16, choices=Layout.choices, default=Layout.EXTENDED)
    freshness_days = models.PositiveIntegerField(default=180)
    # Shelf life per source kind, e.g. {"usage_data": 90}; kinds not named use freshness_days.
    shelf_life = models.JSONField(default=dict, blank=True)
    seq = models.BigIntegerField(default=0)
    phase = models.CharField(max_length=16, choices=Phase.choices, default=Phase.OPEN)
    archived = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The lead's last "reviewed" checkpoint: the review dashboard shows what changed after it.
    reviewed_seq = models.BigIntegerField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The workshop (maps/workshop/): the dot vote (round 0: never opened), the countdown and
    # the facilitation step.
    vote_round = models.PositiveIntegerField(default=0)
    vote_open = models.BooleanField(default=False)
    vote_per_person = models.PositiveSmallIntegerField(default=3)
    vote_blind = models.BooleanField(default=False)
    timer_ends_at = models.DateTimeField(null=True, blank=True)
    timer_seconds = models.PositiveIntegerField(null=True, blank=True)
    workshop_step = models.CharField(max_length=16, blank=True)
    # The persona's picture (maps/persona_picture.py): its bytes live in PersonaPicture, so that
    # loading a map never loads them; this is the seq of the event that set it (null: none).
    persona_picture_seq = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at", "id"]
        verbose_name = "empathy map"
        constraints = [
            models.CheckConstraint(condition=Q(layout__in=Layout.values), name="map_layout_valid"),
            models.CheckConstraint(
                condition=Q(freshness_days__gte=1), name="map_freshness_positive"
            ),
            models.CheckConstraint(condition=Q(seq__gte=0), name="map_seq_not_negative"),
            models.CheckConstraint(condition=Q(phase__in=Phase.values), name="map_phase_valid"),
            models.CheckConstraint(
                condition=Q(reviewed_seq__isnull=True) | Q(reviewed_seq__lte=F("seq")),
                name="map_reviewed_seq_not_ahead",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return f"/maps/{self.pk}/"

    @property
    def sections(self) -> list[str]:
        return LAYOUT_SECTIONS[Layout(self.layout)]

    @property
    def read_only(self) -> bool:
        """Archived, or in an archived workspace: nothing on it may change."""
        return self.archived or self.workspace.archived


class Note(models.Model):
    map = models.ForeignKey(EmpathyMap, on_delete=models.CASCADE, related_name="notes")
    section = models.CharField(max_length=16, choices=Section.choices)
    text = models.TextField(max_length=NOTE_TEXT_MAX)
    team = models.CharField(max_length=16, choices=Team.choices, default=Team.PRODUCT)
    color = models.CharField(max_length=16, default="yellow")
    position = models.FloatField(default=0)
    version = models.PositiveIntegerField(default=1)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deleted_at = models.DateTimeField(null=True, blank=True)
    review_state = models.CharField(
        max_length=16, choices=ReviewState.choices, default=ReviewState.UNREVIEWED
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField(blank=True, max_length=2000)
    # A research request: set with review state needs_research.
    research_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="research_requests",
    )
    research_due = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["section", "position", "id"]
        indexes = [models.Index(fields=["map", "section", "position"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(section__in=Section.values), name="note_section_valid"
            ),
            models.CheckConstraint(condition=Q(team__in=Team.values), name="note_team_valid"),
            models.CheckConstraint(
                condition=Q(review_state__in=ReviewState.values), name="note_review_state_valid"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="note_version_positive"),
        ]

    def __str__(self) -> str:
        return self.text[:60]

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class MapEvent(models.Model):
    map = models.ForeignKey(EmpathyMap, on_delete=models.CASCADE, related_name="events")
    seq = models.BigIntegerField()
    kind = models.CharField(max_length=24, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    op_id = models.CharField(max_length=64, null=True, blank=True)
    payload = models.JSONField(default=dict)
    # The note the event is about (payload["note"]["id"]), as a column: the review dashboard
    # groups a map's events by note without reading every payload.
    note_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["map", "seq"]
        indexes = [models.Index(fields=["map", "note_id"], name="event_map_note")]
        constraints = [
            models.UniqueConstraint(fields=["map", "seq"], name="event_unique_seq"),
            models.UniqueConstraint(
                fields=["map", "actor", "op_id"],
                condition=Q(op_id__isnull=False),
                name="event_unique_op",
            ),
            models.CheckConstraint(condition=Q(seq__gte=1), name="event_seq_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.map_id}#{self.seq} {self.kind}"


# The workshop (maps/workshop/) ----------------------------------------------------------------


class StanceValue(models.TextChoices):
    AGREE = "agree", "I see this too"
    DISAGREE = "disagree", "Not what I see"


class NoteStance(models.Model):
    """One person's agreement or disagreement with a note; at most one per person and note."""

    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="stances")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    value = models.CharField(max_length=8, choices=StanceValue.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["note", "user"], name="stance_unique_user"),
            models.CheckConstraint(
                condition=Q(value__in=StanceValue.values), name="stance_value_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.value}s with note {self.note_id}"


class NoteVote(models.Model):
    """A person's dots on a note in one round of a map's dot vote (stackable: `count`)."""

    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    round = models.PositiveIntegerField()
    count = models.PositiveSmallIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["note", "user", "round"], name="vote_unique_user"),
            models.CheckConstraint(condition=Q(count__gte=1), name="vote_count_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.count} on note {self.note_id} (round {self.round})"


COMMENT_TEXT_MAX = 2000


class Comment(models.Model):
    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    text = models.TextField(max_length=COMMENT_TEXT_MAX)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["note", "created_at", "id"]
        indexes = [models.Index(fields=["note", "created_at"], name="comment_note_time")]

    def __str__(self) -> str:
        return self.text[:60]


class Mention(models.Model):
    """`@username` in a comment: the named member's inbox entry."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="mentions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentions"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="mention_user_unread")]
        constraints = [
            models.UniqueConstraint(fields=["comment", "user"], name="mention_unique_user"),
        ]

    def __str__(self) -> str:
        return f"@{self.user} in comment {self.comment_id}"


class PersonaPicture(models.Model):
    """The bytes of a map's persona picture, stored in the database (no media server)."""

    map = models.OneToOneField(
        EmpathyMap, on_delete=models.CASCADE, primary_key=True, related_name="persona_picture"
    )
    data = models.BinaryField()
    content_type = models.CharField(max_length=32)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Picture of {self.map}"
