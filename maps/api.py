"""REST API for workspaces, members, maps, notes, reviews and the event log (thin views)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from empathymap.query import bool_param
from maps import selectors, services
from maps.events import event_message
from maps.models import Layout, ReviewState, Role, Team

# Shapes, for validation of input and for the OpenAPI schema ----------------------------------


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField(required=False)


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


class MemberUpdateSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)


class LastReviewSerializer(serializers.Serializer):
    seq = serializers.IntegerField(help_text="The map's seq when it was marked reviewed.")
    at = serializers.DateTimeField()
    by = serializers.CharField(allow_null=True)


class MapSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    workspace = serializers.SlugField()
    title = serializers.CharField(max_length=200)
    persona = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    layout = serializers.ChoiceField(choices=Layout.choices, required=False)
    sections = serializers.ListField(child=serializers.CharField(), read_only=True)
    freshness_days = serializers.IntegerField(min_value=1, max_value=36500, required=False)
    shelf_life = serializers.DictField(child=serializers.IntegerField(), required=False)
    seq = serializers.IntegerField(read_only=True)
    archived = serializers.BooleanField(read_only=True)
    workspace_archived = serializers.BooleanField(
        read_only=True, help_text="The map's workspace is archived: the map is read-only too."
    )
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    last_review = LastReviewSerializer(
        read_only=True, allow_null=True, help_text="When a lead last marked the map reviewed."
    )


class MapUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    persona = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    freshness_days = serializers.IntegerField(min_value=1, max_value=36500, required=False)
    shelf_life = serializers.DictField(child=serializers.IntegerField(), required=False)
    archived = serializers.BooleanField(required=False)


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


class MapDetailSerializer(MapSerializer):
    notes = NoteSerializer(many=True, read_only=True)


class NoteCreateSerializer(serializers.Serializer):
    section = serializers.CharField()
    text = serializers.CharField(allow_blank=True, trim_whitespace=False)
    team = serializers.ChoiceField(choices=Team.choices, required=False)
    color = serializers.CharField(required=False, max_length=16)
    position = serializers.FloatField(required=False)


class NoteUpdateSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False, min_value=1)
    section = serializers.CharField(required=False)
    text = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    team = serializers.ChoiceField(choices=Team.choices, required=False)
    color = serializers.CharField(required=False, max_length=16)
    position = serializers.FloatField(required=False)


class ReviewRequestSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=ReviewState.choices)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    assignee = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    due = serializers.DateField(required=False, allow_null=True)


class ConflictSerializer(ErrorSerializer):
    current = NoteSerializer()


class EventSerializer(serializers.Serializer):
    type = serializers.CharField()
    seq = serializers.IntegerField()
    kind = serializers.CharField()
    actor = serializers.CharField(allow_null=True)
    op_id = serializers.CharField(allow_null=True)
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
    return {"username": membership.user.username, "role": membership.role}


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
            actor=request.user, workspace_slug=slug, username=data["username"], role=data["role"]
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
            actor=request.user, workspace_slug=slug, username=username, role=data["role"]
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
    @extend_schema(responses={200: MapDetailSerializer, **ERRORS}, tags=["maps"])
    def get(self, request, map_id):
        empathy_map = selectors.map_for_user(user=request.user, map_id=map_id)
        payload = selectors.map_payload(empathy_map)
        payload["notes"] = selectors.map_notes(empathy_map=empathy_map)
        return Response(payload)

    @extend_schema(
        request=MapUpdateSerializer, responses={200: MapSerializer, **ERRORS}, tags=["maps"]
    )
    def patch(self, request, map_id):
        data = valid(MapUpdateSerializer, request)
        empathy_map = services.map_update(actor=request.user, map_id=map_id, **data)
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
        return Response(
            {"seq": empathy_map.seq, "events": [event_message(event) for event in events]}
        )


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
        return Response(selectors.map_review(empathy_map=empathy_map, since=since))

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
        return Response(selectors.map_review(empathy_map=empathy_map))


# Notes ---------------------------------------------------------------------------------------


class MapNotesView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("deleted", bool, description="Include deleted notes.")],
        responses={200: NoteSerializer(many=True), **ERRORS},
        tags=["notes"],
    )
    def get(self, request, map_id):
        empathy_map = selectors.map_for_user(user=request.user, map_id=map_id)
        include_deleted = bool_param(request, "deleted")
        notes = selectors.map_notes(empathy_map=empathy_map, include_deleted=include_deleted)
        return Response(notes)

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
        selectors.note_for_user(user=request.user, note_id=note_id)
        return Response(selectors.note_data(note_id))

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
