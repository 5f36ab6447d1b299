"""REST API for workspaces, members, maps, notes, reviews and the event log (thin views)."""

from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from empathymap.query import bool_param
from maps import history, selectors, services, visibility
from maps.events import event_message
from maps.models import Layout, Phase, ReviewState, Role, Team
from maps.workshop import schema as workshop
from maps.workshop import services as workshop_services

# Shapes, for validation of input and for the OpenAPI schema ----------------------------------


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField(required=False)
    limit = serializers.IntegerField(
        required=False,
        help_text="With code too_many_notes or too_many_comments: the cap that was reached.",
    )


class WorkspaceSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    slug = serializers.SlugField(max_length=60, required=False, allow_blank=True)
    name = serializers.CharField(max_length=120)
    role = serializers.ChoiceField(choices=Role.choices, read_only=True)
    archived = serializers.BooleanField(
        read_only=True, help_text="Archived workspaces are read-only, everything in them."
    )


class WorkspaceUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False)
    archived = serializers.BooleanField(required=False)


class MemberSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    role = serializers.ChoiceField(choices=Role.choices)
    team = serializers.ChoiceField(
        choices=Team.choices,
        required=False,
        help_text="The member's team here: their new notes' team, and what they see while "
        "a map is drafting. Default other.",
    )


class MemberUpdateSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices, required=False, help_text="Lead only.")
    team = serializers.ChoiceField(
        choices=Team.choices,
        required=False,
        help_text="A lead sets anyone's team; a member may set their own.",
    )


class LastReviewSerializer(serializers.Serializer):
    seq = serializers.IntegerField(help_text="The map's seq when it was marked reviewed.")
    at = serializers.DateTimeField()
    by = serializers.CharField(allow_null=True)


class MapSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    workspace = serializers.SlugField()
    title = serializers.CharField(max_length=200)
    persona = serializers.CharField(max_length=200, required=False, allow_blank=True)
    persona_picture = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text="The persona's picture, a same-origin URL with a version; null: none.",
    )
    description = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    layout = serializers.ChoiceField(choices=Layout.choices, required=False)
    sections = serializers.ListField(child=serializers.CharField(), read_only=True)
    freshness_days = serializers.IntegerField(min_value=1, max_value=36500, required=False)
    shelf_life = serializers.DictField(child=serializers.IntegerField(), required=False)
    seq = serializers.IntegerField(read_only=True)
    phase = serializers.ChoiceField(
        choices=Phase.choices,
        read_only=True,
        help_text="drafting: members who are not leads see only their own team's notes.",
    )
    archived = serializers.BooleanField(read_only=True)
    workspace_archived = serializers.BooleanField(
        read_only=True, help_text="The map's workspace is archived: the map is read-only too."
    )
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    last_review = LastReviewSerializer(
        read_only=True, allow_null=True, help_text="When a lead last marked the map reviewed."
    )
    vote = workshop.MapVoteSerializer(read_only=True, allow_null=True, help_text="Null: none yet.")
    timer = workshop.TimerSerializer(read_only=True, allow_null=True)
    step = serializers.ChoiceField(
        choices=workshop.STEP_CHOICES, read_only=True, allow_null=True, help_text=workshop.STEP_HELP
    )


class MapUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    layout = serializers.ChoiceField(
        choices=Layout.choices,
        required=False,
        help_text="Changing it keeps every note: notes of sections the layout leaves out keep "
        "their section and show again when the layout takes them back.",
    )
    persona = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    freshness_days = serializers.IntegerField(min_value=1, max_value=36500, required=False)
    shelf_life = serializers.DictField(child=serializers.IntegerField(), required=False)
    archived = serializers.BooleanField(required=False)
    phase = serializers.ChoiceField(
        choices=Phase.choices,
        required=False,
        help_text="Lead: drafting hides each team's notes from the other teams; open reveals "
        "them all. Announced with a map.updated event.",
    )
    vote = workshop.VoteConfigSerializer(required=False, help_text="Open or close the dot vote.")
    step = serializers.ChoiceField(
        choices=workshop.STEP_CHOICES, required=False, allow_null=True, help_text=workshop.STEP_HELP
    )


class NoteReviewSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=ReviewState.choices)
    by = serializers.CharField(allow_null=True, read_only=True)
    at = serializers.DateTimeField(allow_null=True, read_only=True)
    comment = serializers.CharField(allow_blank=True, required=False, max_length=2000)


class NoteSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    map = serializers.IntegerField()
    section = serializers.CharField()
    text = serializers.CharField()
    team = serializers.ChoiceField(choices=Team.choices)
    color = serializers.CharField()
    position = serializers.FloatField()
    version = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["assumption", "supported", "stale", "contested"])
    narrow = serializers.BooleanField()
    fresh_until = serializers.DateField(
        allow_null=True, help_text="Last day the freshest supporting evidence is still fresh."
    )
    stale_since = serializers.DateField(
        allow_null=True,
        help_text="For a stale note, the day it went stale: the day after its freshest "
        "supporting evidence stopped being fresh; null otherwise.",
    )
    evidence = inline_serializer(
        "NoteEvidenceCounts",
        {"supports": serializers.IntegerField(), "contradicts": serializers.IntegerField()},
    )
    review = NoteReviewSerializer()
    research = inline_serializer(
        "NoteResearchRequest",
        {
            "assignee": serializers.CharField(allow_null=True),
            "due": serializers.DateField(allow_null=True),
        },
    )
    author = serializers.CharField(allow_null=True)
    deleted = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    agreement = workshop.AgreementSerializer()
    votes = workshop.NoteVotesSerializer()
    comments = serializers.IntegerField(help_text="Comments under the note.")


class MapDetailSerializer(MapSerializer):
    notes = NoteSerializer(many=True, read_only=True)
    hidden = serializers.DictField(
        child=serializers.IntegerField(),
        read_only=True,
        help_text="While drafting, team -> live notes hidden from the caller (how many each "
        "other team has drafted); empty otherwise.",
    )


class NoteCreateSerializer(serializers.Serializer):
    section = serializers.CharField()
    text = serializers.CharField(allow_blank=True, trim_whitespace=False)
    team = serializers.ChoiceField(choices=Team.choices, required=False)
    color = serializers.CharField(
        required=False,
        max_length=16,
        help_text="One of yellow, pink, blue, green, orange, purple.",
    )
    position = serializers.FloatField(required=False)


class NoteUpdateSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False, min_value=1)
    section = serializers.CharField(required=False)
    text = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    team = serializers.ChoiceField(choices=Team.choices, required=False)
    color = serializers.CharField(
        required=False,
        max_length=16,
        help_text="One of yellow, pink, blue, green, orange, purple (or the note's own colour "
        "from before the palette, unchanged). Needs `version`.",
    )
    position = serializers.FloatField(required=False)


class ReviewRequestSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=ReviewState.choices)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    assignee = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    due = serializers.DateField(required=False, allow_null=True)


class ConflictSerializer(ErrorSerializer):
    current = NoteSerializer()


class EventSerializer(workshop.EventWorkshopFields):
    type = serializers.CharField()
    seq = serializers.IntegerField()
    kind = serializers.CharField(
        help_text="`hidden`: an event about a note hidden from the caller while the map drafts; "
        "it carries type, seq, kind and at only. `note.hidden`: a lead moved a note the caller "
        "held out of their team while drafting; it carries `note: {id}` only."
    )
    actor = serializers.CharField(allow_null=True, required=False)
    op_id = serializers.CharField(allow_null=True, required=False)
    at = serializers.DateTimeField()
    note = NoteSerializer(required=False)
    link = serializers.DictField(required=False)
    map = MapSerializer(required=False)


class EventPageSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    events = EventSerializer(many=True)


class StatusCountsSerializer(serializers.Serializer):
    assumption = serializers.IntegerField()
    supported = serializers.IntegerField()
    stale = serializers.IntegerField()
    contested = serializers.IntegerField()


class ReviewSegmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class QueueEntrySerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=["assumption", "contested", "stale", "narrow"])
    note = NoteSerializer()


class TeamStatusCountsSerializer(StatusCountsSerializer):
    notes = serializers.IntegerField()


TEAM_SIGNAL_KINDS = ["assumed_vs_supported", "contested"]


class TeamSignalSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=TEAM_SIGNAL_KINDS,
        help_text=(
            "assumed_vs_supported: one team's notes are mostly (over half) assumptions while "
            "another's are mostly supported, each team with at least two notes; contested: fresh "
            "evidence contradicts notes of the teams listed, where two or more teams write."
        ),
    )
    assuming = serializers.ListField(child=serializers.CharField(), required=False)
    supported = serializers.ListField(child=serializers.CharField(), required=False)
    teams = serializers.ListField(child=serializers.CharField(), required=False)


class SectionTeamsSerializer(serializers.Serializer):
    teams = serializers.DictField(
        child=TeamStatusCountsSerializer(),
        help_text="Team -> its live notes in the section, by status; most notes first.",
    )
    signals = TeamSignalSerializer(many=True)


class ChangeCountsSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    edited = serializers.IntegerField()
    moved = serializers.IntegerField()
    deleted = serializers.IntegerField()
    restored = serializers.IntegerField()
    reviewed = serializers.IntegerField()
    linked = serializers.IntegerField(help_text="Evidence links added.")
    unlinked = serializers.IntegerField(help_text="Evidence links removed.")
    map_updated = serializers.IntegerField(help_text="Map settings changed.")
    map_reviewed = serializers.IntegerField(help_text="A lead marked the map reviewed.")
    evidence_corrected = serializers.IntegerField(
        help_text="Notes whose status a researcher's correction of evidence (date, segment) "
        "may have changed."
    )


class ChangedNoteSerializer(serializers.Serializer):
    changes = serializers.ListField(
        child=serializers.ChoiceField(choices=selectors.NOTE_CHANGE_KINDS),
        help_text="In the order first seen.",
    )
    by = serializers.ListField(child=serializers.CharField(), help_text="Who made the changes.")
    at = serializers.DateTimeField(help_text="The latest change.")
    note = NoteSerializer(help_text="The note as it is now, deleted or not.")


class ChangesSerializer(serializers.Serializer):
    basis = serializers.ChoiceField(
        choices=["last_review", "since", "never_reviewed"],
        help_text=(
            "last_review: after a lead last marked the map reviewed (POST to this endpoint); "
            "since: after the `since` parameter; never_reviewed: the map's whole life."
        ),
    )
    since = serializers.DateTimeField(allow_null=True)
    last_review = LastReviewSerializer(allow_null=True)
    events = serializers.IntegerField()
    counts = ChangeCountsSerializer()
    notes_touched = serializers.IntegerField()
    notes = ChangedNoteSerializer(
        many=True, help_text="Notes touched, latest first, at most 100 (see notes_touched)."
    )
    status_changes = serializers.ListField(
        child=serializers.DictField(),
        required=False,
        help_text=(
            "Status transitions over the same window until now, as in compare: "
            '{"note", "from", "to", "cause"}, time alone included.'
        ),
    )
    status_counts = serializers.DictField(
        child=serializers.IntegerField(), required=False, help_text='"FROM->TO": number.'
    )


class ReviewSerializer(serializers.Serializer):
    map = MapSerializer()
    today = serializers.DateField(help_text="The day statuses were computed for.")
    total = serializers.IntegerField(help_text="Live notes.")
    counts = StatusCountsSerializer()
    narrow = serializers.IntegerField()
    by_section = serializers.DictField(child=StatusCountsSerializer())
    by_team = serializers.DictField(child=serializers.IntegerField())
    by_team_status = serializers.DictField(child=StatusCountsSerializer())
    review_states = serializers.DictField(
        child=serializers.IntegerField(), help_text="Live notes per review state."
    )
    sections_without_evidence = serializers.ListField(child=serializers.CharField())
    segments = ReviewSegmentSerializer(many=True, help_text="The workspace's segments, by name.")
    coverage = serializers.DictField(
        child=serializers.DictField(child=serializers.IntegerField()),
        help_text="Section -> segment name -> live notes with supporting evidence from it.",
    )
    coverage_unsegmented = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Section -> live notes with supporting evidence that names no segment.",
    )
    segments_without_evidence = serializers.ListField(child=serializers.CharField())
    assumption_queue = QueueEntrySerializer(
        many=True,
        help_text="Assumptions, then contested, stale and narrow notes; dismissed notes left out.",
    )
    dismissed = QueueEntrySerializer(
        many=True,
        help_text="The notes a lead dismissed that the queue leaves out, in its order: with the "
        "queue, each status's notes add up to its count.",
    )
    stale_soon_days = serializers.IntegerField()
    stale_soon = NoteSerializer(
        many=True, help_text="Supported notes whose evidence goes stale within stale_soon_days."
    )
    teams = SectionTeamsSerializer(help_text="The same as teams_by_section, over the whole map.")
    teams_by_section = serializers.DictField(
        child=SectionTeamsSerializer(),
        help_text="Section -> the teams with live notes there, and where their views diverge.",
    )
    changes = ChangesSerializer(help_text="What changed since the last review (or `since`).")


def valid(serializer_class, request, **kwargs) -> dict:
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def workspace_payload(workspace) -> dict:
    return {
        "id": workspace.pk,
        "slug": workspace.slug,
        "name": workspace.name,
        "role": workspace.role,
        "archived": workspace.archived,
    }


def member_payload(membership) -> dict:
    return {
        "username": membership.user.username,
        "role": membership.role,
        "team": membership.team,
    }


ERRORS = {400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}

# Auth ----------------------------------------------------------------------------------------


class TokenView(ObtainAuthToken):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    @extend_schema(
        request=inline_serializer(
            "TokenRequest",
            {"username": serializers.CharField(), "password": serializers.CharField()},
        ),
        responses={200: inline_serializer("Token", {"token": serializers.CharField()}), **ERRORS},
        tags=["auth"],
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


# Workspaces and members ----------------------------------------------------------------------


class WorkspaceListView(APIView):
    @extend_schema(responses=WorkspaceSerializer(many=True), tags=["workspaces"])
    def get(self, request):
        workspaces = selectors.workspaces_for_user(user=request.user)
        return Response([workspace_payload(workspace) for workspace in workspaces])

    @extend_schema(
        request=WorkspaceSerializer,
        responses={201: WorkspaceSerializer, 400: ErrorSerializer},
        tags=["workspaces"],
    )
    def post(self, request):
        data = valid(WorkspaceSerializer, request)
        workspace = services.workspace_create(
            actor=request.user, name=data["name"], slug=data.get("slug", "")
        )
        return Response(workspace_payload(workspace), status=status.HTTP_201_CREATED)


class WorkspaceDetailView(APIView):
    @extend_schema(responses={200: WorkspaceSerializer, **ERRORS}, tags=["workspaces"])
    def get(self, request, slug):
        workspace = selectors.workspace_for_user(user=request.user, slug=slug)
        return Response(workspace_payload(workspace))

    @extend_schema(
        summary="Rename, archive or restore a workspace (lead)",
        request=WorkspaceUpdateSerializer,
        responses={200: WorkspaceSerializer, **ERRORS},
        tags=["workspaces"],
    )
    def patch(self, request, slug):
        data = valid(WorkspaceUpdateSerializer, request)
        workspace = services.workspace_update(actor=request.user, workspace_slug=slug, **data)
        return Response(workspace_payload(workspace))


class MemberListView(APIView):
    @extend_schema(responses={200: MemberSerializer(many=True), **ERRORS}, tags=["workspaces"])
    def get(self, request, slug):
        workspace = selectors.workspace_for_user(user=request.user, slug=slug)
        return Response([member_payload(m) for m in selectors.members_of(workspace=workspace)])

    @extend_schema(
        request=MemberSerializer, responses={201: MemberSerializer, **ERRORS}, tags=["workspaces"]
    )
    def post(self, request, slug):
        data = valid(MemberSerializer, request)
        membership = services.member_add(
            actor=request.user,
            workspace_slug=slug,
            username=data["username"],
            role=data["role"],
            team=data.get("team", Team.OTHER),
        )
        return Response(member_payload(membership), status=status.HTTP_201_CREATED)


class MemberDetailView(APIView):
    @extend_schema(
        request=MemberUpdateSerializer,
        responses={200: MemberSerializer, **ERRORS},
        tags=["workspaces"],
    )
    def patch(self, request, slug, username):
        data = valid(MemberUpdateSerializer, request)
        membership = services.member_update(
            actor=request.user, workspace_slug=slug, username=username, **data
        )
        return Response(member_payload(membership))

    @extend_schema(responses={204: None, **ERRORS}, tags=["workspaces"])
    def delete(self, request, slug, username):
        services.member_remove(actor=request.user, workspace_slug=slug, username=username)
        return Response(status=status.HTTP_204_NO_CONTENT)


# Maps ----------------------------------------------------------------------------------------


class MapListView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("workspace", str, description="Only this workspace's maps (slug)."),
            OpenApiParameter("archived", bool, description="Include archived maps."),
        ],
        responses=MapSerializer(many=True),
        tags=["maps"],
    )
    def get(self, request):
        maps = selectors.maps_for_user(
            user=request.user,
            workspace_slug=request.query_params.get("workspace"),
            include_archived=bool_param(request, "archived"),
        )
        return Response([selectors.map_payload(m) for m in maps])

    @extend_schema(request=MapSerializer, responses={201: MapSerializer, **ERRORS}, tags=["maps"])
    def post(self, request):
        data = valid(MapSerializer, request)
        empathy_map = services.map_create(
            actor=request.user,
            workspace_slug=data["workspace"],
            title=data["title"],
            persona=data.get("persona", ""),
            description=data.get("description", ""),
            layout=data.get("layout", Layout.EXTENDED),
            freshness_days=data.get("freshness_days", 180),
            shelf_life=data.get("shelf_life"),
        )
        return Response(selectors.map_payload(empathy_map), status=status.HTTP_201_CREATED)


class MapDetailView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "as_of",
                str,
                description=(
                    "The map as it was after this seq, or at this ISO 8601 moment: its notes "
                    "then, with the statuses they had then (see the README, Time travel)."
                ),
            )
        ],
        responses={200: MapDetailSerializer, **ERRORS},
        tags=["maps"],
    )
    def get(self, request, map_id):
        if "as_of" in request.query_params:
            as_of = request.query_params["as_of"]
            return Response(history.map_as_of(user=request.user, map_id=map_id, as_of=as_of))
        empathy_map = selectors.map_for_user(user=request.user, map_id=map_id)
        viewer = visibility.viewer_of_map(empathy_map)
        notes = selectors.map_notes(empathy_map=empathy_map, viewer=request.user)
        payload = selectors.map_payload(empathy_map)
        payload["notes"] = visibility.visible_notes(viewer, notes)
        payload["hidden"] = visibility.hidden_counts(viewer, notes)
        return Response(payload)

    @extend_schema(
        request=MapUpdateSerializer, responses={200: MapSerializer, **ERRORS}, tags=["maps"]
    )
    def patch(self, request, map_id):
        data = dict(valid(MapUpdateSerializer, request))
        vote, step = data.pop("vote", None), data.pop("step", workshop_services.UNCHANGED)
        with transaction.atomic():  # all of the PATCH or none of it
            if data or (vote is None and step is workshop_services.UNCHANGED):
                empathy_map = services.map_update(actor=request.user, map_id=map_id, **data)
            if vote is not None:
                empathy_map = workshop_services.map_vote_configure(
                    actor=request.user, map_id=map_id, **vote
                )
            if step is not workshop_services.UNCHANGED:
                empathy_map = workshop_services.map_step_set(
                    actor=request.user, map_id=map_id, step=step
                )
        return Response(selectors.map_payload(empathy_map))

    @extend_schema(responses={204: None, **ERRORS}, tags=["maps"], description="Archives the map.")
    def delete(self, request, map_id):
        services.map_archive(actor=request.user, map_id=map_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MapEventsView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("since", int, description="Events after this seq.")],
        responses={200: EventPageSerializer, **ERRORS},
        tags=["maps"],
    )
    def get(self, request, map_id):
        empathy_map = selectors.map_for_user(user=request.user, map_id=map_id)
        since = selectors.parse_id(request.query_params.get("since", "0"))
        if since is None:
            raise serializers.ValidationError({"since": ["Give a whole number (a seq)."]})
        events = selectors.events_since(empathy_map=empathy_map, since=since)
        # As the member may see the map now: a note hidden now (drafting) is hidden in its past
        # too, events from before drafting began included.
        viewer = visibility.viewer_of_map(empathy_map)
        messages = [visibility.event_for_viewer(event_message(e), viewer) for e in events]
        return Response({"seq": empathy_map.seq, "events": messages})


class MapReviewView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "since",
                str,
                description=(
                    "Report changes after this ISO 8601 datetime (or date) instead of after "
                    "the last review; without an offset it is in the server's TIME_ZONE."
                ),
            )
        ],
        responses={200: ReviewSerializer, **ERRORS},
        tags=["review"],
    )
    def get(self, request, map_id):
        empathy_map = selectors.map_for_user(user=request.user, map_id=map_id)
        since = request.query_params.get("since")
        since = selectors.parse_since(since) if since else None
        return Response(review_with_transitions(request.user, empathy_map, since=since))

    @extend_schema(
        operation_id="maps_review_mark",
        summary="Mark the map reviewed (lead)",
        description=(
            "Records a review checkpoint: the map's `last_review` becomes now and this lead, "
            'a `map.updated` event (with `"reviewed": true`) goes out, and `changes` counts '
            "from here on. Answers with the review, its `changes` now empty."
        ),
        request=None,
        responses={200: ReviewSerializer, **ERRORS},
        tags=["review"],
    )
    def post(self, request, map_id):
        services.map_mark_reviewed(actor=request.user, map_id=map_id)
        empathy_map = selectors.map_for_user(user=request.user, map_id=map_id)
        return Response(review_with_transitions(request.user, empathy_map))


def review_with_transitions(user, empathy_map, *, since=None) -> dict:
    """The review, its `changes` with the status transitions over the same window."""
    review = selectors.map_review(
        empathy_map=empathy_map, since=since, viewer=visibility.viewer_of_map(empathy_map)
    )
    transitions = history.review_transitions(
        user=user, empathy_map=empathy_map, changes=review["changes"]
    )
    review["changes"]["status_changes"] = transitions["status_changes"]
    review["changes"]["status_counts"] = transitions["counts"]
    return review


# Notes ---------------------------------------------------------------------------------------


class MapNotesView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "deleted",
                str,
                description=(
                    "1: live and deleted notes; only: the recycle bin, deleted notes only, "
                    "each with deleted_by and deleted_at, most recently deleted first."
                ),
            )
        ],
        responses={200: NoteSerializer(many=True), **ERRORS},
        tags=["notes"],
    )
    def get(self, request, map_id):
        empathy_map = selectors.map_for_user(user=request.user, map_id=map_id)
        if request.query_params.get("deleted") == "only":
            return Response(history.deleted_notes(user=request.user, empathy_map=empathy_map))
        include_deleted = bool_param(request, "deleted")
        notes = selectors.map_notes(
            empathy_map=empathy_map, include_deleted=include_deleted, viewer=request.user
        )
        return Response(visibility.visible_notes(visibility.viewer_of_map(empathy_map), notes))

    @extend_schema(
        request=NoteCreateSerializer, responses={201: NoteSerializer, **ERRORS}, tags=["notes"]
    )
    def post(self, request, map_id):
        data = valid(NoteCreateSerializer, request)
        note = services.note_create(actor=request.user, map_id=map_id, **data)
        return Response(note, status=status.HTTP_201_CREATED)


class NoteDetailView(APIView):
    @extend_schema(responses={200: NoteSerializer, **ERRORS}, tags=["notes"])
    def get(self, request, note_id):
        note = selectors.note_for_user(user=request.user, note_id=note_id)
        return Response(workshop_services.note_for_actor(request.user, note))

    @extend_schema(
        request=NoteUpdateSerializer,
        responses={200: NoteSerializer, 409: ConflictSerializer, **ERRORS},
        tags=["notes"],
    )
    def patch(self, request, note_id):
        data = dict(valid(NoteUpdateSerializer, request))
        version = data.pop("version", None)
        note = services.note_update(actor=request.user, note_id=note_id, version=version, **data)
        return Response(note)

    @extend_schema(responses={204: None, **ERRORS}, tags=["notes"])
    def delete(self, request, note_id):
        services.note_delete(actor=request.user, note_id=note_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class NoteRestoreView(APIView):
    @extend_schema(request=None, responses={200: NoteSerializer, **ERRORS}, tags=["notes"])
    def post(self, request, note_id):
        return Response(services.note_restore(actor=request.user, note_id=note_id))


class NoteReviewView(APIView):
    @extend_schema(
        request=ReviewRequestSerializer, responses={200: NoteSerializer, **ERRORS}, tags=["review"]
    )
    def post(self, request, note_id):
        data = valid(ReviewRequestSerializer, request)
        note = services.note_review(
            actor=request.user,
            note_id=note_id,
            state=data["state"],
            comment=data.get("comment", ""),
            assignee=data.get("assignee") or None,
            due=data.get("due"),
        )
        return Response(note)
