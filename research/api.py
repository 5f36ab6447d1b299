"""REST API for segments, sources, evidence and note-evidence links (thin views)."""

import json

from django.conf import settings
from django.utils.text import slugify
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import renderers, serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from maps import visibility
from maps.api import ERRORS, ErrorSerializer, MapSerializer, NoteSerializer, valid
from maps.models import Role
from maps.selectors import iso, map_for_user, note_for_user, parse_id, workspace_for_user
from research import export, selectors, services
from research.importers import FORMATS, ON_ERROR
from research.models import SourceKind, Stance


class SegmentSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    workspace = serializers.SlugField()
    name = serializers.CharField(max_length=120)


class SourceSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    workspace = serializers.SlugField()
    kind = serializers.ChoiceField(choices=SourceKind.choices)
    title = serializers.CharField(max_length=300)
    collected_on = serializers.DateField(required=False, allow_null=True)
    url = serializers.URLField(required=False, allow_blank=True, max_length=500)
    segment = serializers.IntegerField(required=False, allow_null=True)
    evidence_count = serializers.IntegerField(read_only=True)


class EvidenceSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    workspace = serializers.SlugField(read_only=True)
    source = serializers.IntegerField()
    source_title = serializers.CharField(read_only=True)
    kind = serializers.ChoiceField(choices=SourceKind.choices, read_only=True)
    text = serializers.CharField(max_length=10000)
    collected_on = serializers.DateField(required=False, allow_null=True)
    segment = serializers.IntegerField(required=False, allow_null=True)
    segment_name = serializers.CharField(read_only=True, allow_null=True)
    participant = serializers.CharField(required=False, allow_blank=True, max_length=120)
    locator = serializers.CharField(required=False, allow_blank=True, max_length=120)
    url = serializers.URLField(required=False, allow_blank=True, max_length=500)
    created_at = serializers.DateTimeField(read_only=True)


class EvidenceUpdateSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=10000, required=False)
    participant = serializers.CharField(required=False, allow_blank=True, max_length=120)
    locator = serializers.CharField(required=False, allow_blank=True, max_length=120)
    url = serializers.URLField(required=False, allow_blank=True, max_length=500)
    collected_on = serializers.DateField(required=False)
    segment = serializers.IntegerField(
        required=False, allow_null=True, help_text="A segment id, or null for the source's."
    )


class LinkSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    note = serializers.IntegerField(read_only=True)
    evidence = serializers.IntegerField(
        help_text="The evidence id; responses carry the whole evidence item."
    )
    stance = serializers.ChoiceField(choices=Stance.choices)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    created_by = serializers.CharField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)


class LinkResponseSerializer(LinkSerializer):
    evidence = EvidenceSerializer()


def segment_payload(segment) -> dict:
    return {"id": segment.pk, "workspace": segment.workspace.slug, "name": segment.name}


def source_payload(source) -> dict:
    return {
        "id": source.pk,
        "workspace": source.workspace.slug,
        "kind": source.kind,
        "title": source.title,
        "collected_on": iso(source.collected_on),
        "url": source.url,
        "segment": source.segment_id,
        "evidence_count": getattr(source, "evidence_count", None),
    }


WORKSPACE_PARAM = OpenApiParameter("workspace", str, description="Workspace slug.")


class SegmentListView(APIView):
    @extend_schema(
        parameters=[WORKSPACE_PARAM], responses=SegmentSerializer(many=True), tags=["research"]
    )
    def get(self, request):
        segments = selectors.segments_for_user(
            user=request.user, workspace_slug=request.query_params.get("workspace")
        )
        return Response([segment_payload(segment) for segment in segments])

    @extend_schema(
        request=SegmentSerializer, responses={201: SegmentSerializer, **ERRORS}, tags=["research"]
    )
    def post(self, request):
        data = valid(SegmentSerializer, request)
        segment = services.segment_create(
            actor=request.user, workspace_slug=data["workspace"], name=data["name"]
        )
        return Response(segment_payload(segment), status=status.HTTP_201_CREATED)


class SourceListView(APIView):
    @extend_schema(
        parameters=[WORKSPACE_PARAM], responses=SourceSerializer(many=True), tags=["research"]
    )
    def get(self, request):
        sources = selectors.sources_for_user(
            user=request.user, workspace_slug=request.query_params.get("workspace")
        )
        return Response([source_payload(source) for source in sources])

    @extend_schema(
        request=SourceSerializer, responses={201: SourceSerializer, **ERRORS}, tags=["research"]
    )
    def post(self, request):
        data = valid(SourceSerializer, request)
        source = services.source_create(
            actor=request.user,
            workspace_slug=data["workspace"],
            kind=data["kind"],
            title=data["title"],
            collected_on=data.get("collected_on"),
            url=data.get("url", ""),
            segment_id=data.get("segment"),
        )
        source.evidence_count = 0
        return Response(source_payload(source), status=status.HTTP_201_CREATED)


class SourceDetailView(APIView):
    @extend_schema(responses={200: SourceSerializer, **ERRORS}, tags=["research"])
    def get(self, request, source_id):
        source = selectors.source_for_user(user=request.user, source_id=source_id)
        source.evidence_count = source.evidence.count()
        return Response(source_payload(source))


class EvidenceListView(APIView):
    @extend_schema(
        parameters=[
            WORKSPACE_PARAM,
            OpenApiParameter("q", str, description="Full-text search: every word must match."),
            OpenApiParameter("kind", str, enum=SourceKind.values),
            OpenApiParameter("segment", str, description="Segment id or name."),
            OpenApiParameter("source", int),
        ],
        responses=EvidenceSerializer(many=True),
        tags=["research"],
    )
    def get(self, request):
        params = request.query_params
        source = params.get("source", "")
        source_id = parse_id(source)
        if source and source_id is None:
            raise serializers.ValidationError({"source": ["Give a source id."]})
        kind = params.get("kind", "")
        if kind and kind not in SourceKind.values:
            raise serializers.ValidationError(
                {"kind": [f"Choose one of: {', '.join(SourceKind.values)}."]}
            )
        evidence = selectors.evidence_for_user_list(
            user=request.user,
            workspace_slug=params.get("workspace"),
            q=params.get("q", ""),
            kind=kind,
            segment=params.get("segment", ""),
            source_id=source_id,
        )
        return Response([selectors.evidence_payload(item) for item in evidence[:500]])

    @extend_schema(
        request=EvidenceSerializer, responses={201: EvidenceSerializer, **ERRORS}, tags=["research"]
    )
    def post(self, request):
        data = valid(EvidenceSerializer, request)
        evidence = services.evidence_create(
            actor=request.user,
            source_id=data["source"],
            text=data["text"],
            collected_on=data.get("collected_on"),
            segment_id=data.get("segment"),
            participant=data.get("participant", ""),
            locator=data.get("locator", ""),
            url=data.get("url", ""),
        )
        evidence = selectors.evidence_for_user(user=request.user, evidence_id=evidence.pk)
        return Response(selectors.evidence_payload(evidence), status=status.HTTP_201_CREATED)


class EvidenceDetailView(APIView):
    @extend_schema(responses={200: EvidenceSerializer, **ERRORS}, tags=["research"])
    def get(self, request, evidence_id):
        evidence = selectors.evidence_for_user(user=request.user, evidence_id=evidence_id)
        return Response(selectors.evidence_payload(evidence))

    @extend_schema(
        summary="Correct an item (researcher)",
        description=(
            "Text, participant, locator, url, collected_on and segment. A new date or segment "
            "can change the status of the notes citing the item: each gets a `note.updated` "
            'event with `"cause": "evidence"`. Its source and kind cannot change '
            "(400 naming the field): delete the item and add it again."
        ),
        request=EvidenceUpdateSerializer,
        responses={200: EvidenceSerializer, **ERRORS},
        tags=["research"],
    )
    def patch(self, request, evidence_id):
        if not isinstance(request.data, dict):
            raise serializers.ValidationError(
                {"non_field_errors": ["Send an object of the fields to correct."]}
            )
        refused = sorted(set(request.data) - set(EvidenceUpdateSerializer().fields))
        if refused:
            field = refused[0]
            message = (
                "This field cannot be changed; delete the item and add it again."
                if field in EvidenceSerializer().fields
                else "Unknown field."
            )
            raise serializers.ValidationError({field: [message]})
        data = valid(EvidenceUpdateSerializer, request)
        services.evidence_update(actor=request.user, evidence_id=evidence_id, **data)
        evidence = selectors.evidence_for_user(user=request.user, evidence_id=evidence_id)
        return Response(selectors.evidence_payload(evidence))

    @extend_schema(
        summary="Delete an item (researcher), unlinking it from every note first",
        description="Each unlink is a `link.deleted` event on its map.",
        responses={204: None, **ERRORS},
        tags=["research"],
    )
    def delete(self, request, evidence_id):
        services.evidence_delete(actor=request.user, evidence_id=evidence_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class NoteLinksView(APIView):
    @extend_schema(responses={200: LinkResponseSerializer(many=True), **ERRORS}, tags=["research"])
    def get(self, request, note_id):
        note_for_user(user=request.user, note_id=note_id)
        links = selectors.links_for_note(note_id=note_id)
        return Response([selectors.link_payload(link) for link in links])

    @extend_schema(
        request=LinkSerializer, responses={201: LinkResponseSerializer, **ERRORS}, tags=["research"]
    )
    def post(self, request, note_id):
        note_for_user(user=request.user, note_id=note_id, role=Role.RESEARCHER)
        data = valid(LinkSerializer, request)
        link = services.link_create(
            actor=request.user,
            note_id=note_id,
            evidence_id=data["evidence"],
            stance=data["stance"],
            comment=data.get("comment", ""),
        )
        return Response(selectors.link_payload(link), status=status.HTTP_201_CREATED)


class LinkDetailView(APIView):
    @extend_schema(responses={204: None, **ERRORS}, tags=["research"])
    def delete(self, request, link_id):
        services.link_delete(actor=request.user, link_id=link_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# Imports --------------------------------------------------------------------------------------

# Room for the multipart envelope and the small fields around the file.
MULTIPART_SLACK = 64 * 1024


@extend_schema_field(
    {"type": "string", "description": 'JSON: {"name in the file": "existing segment"}'}
)
class SegmentMapField(serializers.Field):
    """A JSON object in a multipart field: {"name in the file": "existing segment"}."""

    def to_internal_value(self, data):
        value = data
        if isinstance(value, str) and value.strip():
            try:
                value = json.loads(value)
            except ValueError:
                raise serializers.ValidationError("Not valid JSON.") from None
        if value in (None, ""):
            return {}
        if not isinstance(value, dict) or not all(
            isinstance(key, str) and isinstance(target, str) for key, target in value.items()
        ):
            raise serializers.ValidationError(
                'An object of segment names: {"Enterprise": "Enterprise finance"}.'
            )
        return value


class ImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)
    format = serializers.ChoiceField(choices=FORMATS)
    collected_on = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="Transcripts: the interview's date. Without it the file's header (Date:, "
        "Recorded:, a WebVTT NOTE, front matter), then a YYYY-MM-DD date in its name, then "
        "today.",
    )
    segment = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=120,
        help_text="One segment for every item: matched to an existing one ignoring case and "
        "spaces, created when new.",
    )
    interviewer = serializers.CharField(required=False, allow_blank=True, max_length=120)
    on_error = serializers.ChoiceField(
        choices=ON_ERROR,
        default="stop",
        help_text='"stop" (default): a bad row refuses the whole file. "skip": CSV rows that '
        "cannot be read are left out and listed in `rejected`; the rest is imported.",
    )
    segment_map = SegmentMapField(
        required=False,
        help_text="JSON object mapping segment names in the file to existing segments, e.g. "
        '{"Enterprise": "Enterprise finance"}.',
    )
    create_segments = serializers.BooleanField(
        default=False,
        help_text="Create the segments the file names that the workspace does not have (and "
        "that segment_map does not map). Without it such names get 400 new_segments.",
    )


class ImportProblemSerializer(serializers.Serializer):
    line = serializers.IntegerField(allow_null=True)
    detail = serializers.CharField()


class ImportRejectedRowSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    reason = serializers.CharField()


class ImportReportSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    skipped = serializers.IntegerField(help_text="Items already in the library.")
    errors = ImportProblemSerializer(many=True, help_text="Rows left out or changed.")
    source = serializers.IntegerField(allow_null=True)
    source_title = serializers.CharField(allow_blank=True)
    date_source = serializers.ChoiceField(
        choices=["field", "header", "file_name", "today", "rows"],
        help_text="Where a transcript's date came from; `rows` for CSVs (each row its own).",
    )
    collected_on = serializers.DateField(
        allow_null=True, help_text="A transcript's date (null for CSVs)."
    )
    warnings = serializers.ListField(
        child=serializers.CharField(),
        help_text="For the person importing, e.g. a transcript dated today for want of a date.",
    )
    rejected = ImportRejectedRowSerializer(
        many=True, help_text='Rows left out with on_error="skip", with their line.'
    )
    segments_created = serializers.ListField(child=serializers.CharField())


class ImportErrorSerializer(ErrorSerializer):
    line = serializers.IntegerField(
        allow_null=True,
        required=False,
        help_text="The file's physical line at fault (the header is 1), null when no line is; "
        "absent when a form field is at fault.",
    )
    new_segments = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text='With code "new_segments": the names the import would create.',
    )
    limit = serializers.IntegerField(
        required=False, help_text='With code "too_many_items" (400) or "too_large" (413).'
    )


class ImportView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": ImportRequestSerializer},
        responses={
            201: ImportReportSerializer,
            400: OpenApiResponse(
                ImportErrorSerializer,
                description="A malformed file (`code` invalid_file, `line`), too many items "
                "(too_many_items, `limit`), segments not in the workspace (new_segments, "
                "`new_segments`), or a bad field (`code` invalid, the field named, `line` "
                "null). Nothing is imported.",
            ),
            403: ErrorSerializer,
            404: ErrorSerializer,
            413: ImportErrorSerializer,
        },
        tags=["research"],
    )
    def post(self, request, slug):
        workspace_for_user(user=request.user, slug=slug, role=Role.RESEARCHER)
        limit = settings.IMPORT_MAX_BYTES
        length = parse_id(request.META.get("CONTENT_LENGTH"))
        if length is not None and length > limit + MULTIPART_SLACK:
            raise services.ImportTooLarge(size=length, limit=limit)
        data = valid(ImportRequestSerializer, request)
        report = services.import_file(
            actor=request.user,
            workspace_slug=slug,
            file=data["file"],
            format=data["format"],
            collected_on=data.get("collected_on"),
            segment=data.get("segment", ""),
            interviewer=data.get("interviewer", ""),
            on_error=data["on_error"],
            segment_map=data.get("segment_map") or {},
            create_segments=data["create_segments"],
        )
        return Response(ImportReportSerializer(report).data, status=status.HTTP_201_CREATED)

    def handle_exception(self, exc):
        # Every 400 of this endpoint carries `line`, as its schema says (null for a field).
        response = super().handle_exception(exc)
        if response.status_code in (400, 413) and isinstance(response.data, dict):
            response.data.setdefault("line", None)
        return response


# Suggestions ----------------------------------------------------------------------------------


class SuggestionSerializer(serializers.Serializer):
    evidence = EvidenceSerializer()
    score = serializers.FloatField(
        help_text="Reciprocal rank fusion of the word and meaning rankings: higher is better."
    )
    matched = serializers.ListField(
        child=serializers.CharField(),
        help_text="The note's words that matched; empty when only the meaning is close.",
    )
    reason = serializers.CharField(
        help_text='Why it is suggested: "matching words: a, b" or "similar meaning".'
    )


class SuggestionsSerializer(serializers.Serializer):
    results = SuggestionSerializer(many=True)
    complete = serializers.BooleanField(
        help_text="False while some unlinked evidence still waits for its vector (imports are "
        "embedded in the background): those items are ranked by their words only until then."
    )
    pending = serializers.IntegerField(
        help_text="Unlinked evidence items of the workspace still waiting for their vector."
    )


class NoteSuggestionsView(APIView):
    @extend_schema(responses={200: SuggestionsSerializer, **ERRORS}, tags=["research"])
    def get(self, request, note_id):
        found = selectors.note_suggestions_with_progress(user=request.user, note_id=note_id)
        results = [
            {
                "evidence": selectors.evidence_payload(item.evidence),
                "score": item.score,
                "matched": item.matched,
                "reason": item.reason,
            }
            for item in found.results
        ]
        return Response({"results": results, "complete": found.complete, "pending": found.pending})


class EmbeddingProgressSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="Evidence items of the workspace.")
    embedded = serializers.IntegerField(help_text="Of them, those with a vector.")
    pending = serializers.IntegerField(help_text="Of them, those a worker has still to embed.")


class EmbeddingProgressView(APIView):
    @extend_schema(responses={200: EmbeddingProgressSerializer, **ERRORS}, tags=["research"])
    def get(self, request, slug):
        progress = selectors.embedding_progress(user=request.user, workspace_slug=slug)
        return Response(embedding_progress_payload(progress))


def embedding_progress_payload(progress) -> dict:
    return {"total": progress.total, "embedded": progress.embedded, "pending": progress.pending}


# Research requests ----------------------------------------------------------------------------


class ResearchRequestSerializer(serializers.Serializer):
    note = NoteSerializer()
    map = serializers.DictField(help_text="{id, title}")
    workspace = serializers.SlugField()
    requested_by = serializers.CharField(allow_null=True)
    requested_at = serializers.DateTimeField(allow_null=True)
    comment = serializers.CharField(allow_blank=True)
    assignee = serializers.CharField(allow_null=True)
    due = serializers.DateField(allow_null=True)
    overdue = serializers.BooleanField()
    answered = serializers.BooleanField(
        help_text="Fresh evidence was linked after the request: ready for the lead."
    )


class ResearchRequestListView(APIView):
    @extend_schema(
        parameters=[
            WORKSPACE_PARAM,
            OpenApiParameter(
                "assignee",
                str,
                description="A username, `me`, `none` for unassigned, or `me_or_none`.",
            ),
            OpenApiParameter(
                "state",
                str,
                enum=selectors.RequestState.values,
                description="`open` (default): still waiting for fresh evidence.",
            ),
        ],
        responses={200: ResearchRequestSerializer(many=True), **ERRORS},
        tags=["research"],
    )
    def get(self, request):
        params = request.query_params
        state = params.get("state") or selectors.RequestState.OPEN
        if state not in selectors.RequestState.values:
            raise serializers.ValidationError(
                {"state": [f"Choose one of: {', '.join(selectors.RequestState.values)}."]}
            )
        workspace_slug = params.get("workspace") or None
        if workspace_slug:
            workspace_for_user(user=request.user, slug=workspace_slug)
        requests = selectors.research_requests_for_user(
            user=request.user,
            workspace_slug=workspace_slug,
            assignee=params.get("assignee", ""),
            state=state,
        )
        return Response(requests)


# Export ---------------------------------------------------------------------------------------


class CSVRenderer(renderers.BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data.encode(self.charset) if isinstance(data, str) else b""


class MarkdownRenderer(CSVRenderer):
    media_type = "text/markdown"
    format = "md"


class ExportNegotiation(DefaultContentNegotiation):
    """`?format=` picks the export's format; anything else is answered in JSON (and refused)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        wanted = request.query_params.get("format") or "json"
        for renderer in renderers:
            if renderer.format == wanted:
                return renderer, renderer.media_type
        return renderers[0], renderers[0].media_type


class NoteExportSerializer(NoteSerializer):
    links = LinkResponseSerializer(many=True)


class MapExportSerializer(serializers.Serializer):
    map = MapSerializer()
    exported_at = serializers.DateTimeField()
    notes = NoteExportSerializer(many=True)


class MapExportView(APIView):
    renderer_classes = [renderers.JSONRenderer, CSVRenderer, MarkdownRenderer]
    content_negotiation_class = ExportNegotiation

    @extend_schema(
        parameters=[
            OpenApiParameter("format", str, enum=list(export.FORMATS), description="Default json.")
        ],
        responses={
            (200, "application/json"): MapExportSerializer,
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR, description="One row per note and linked evidence item."
            ),
            (200, "text/markdown"): OpenApiResponse(OpenApiTypes.STR),
            (400, "application/json"): ErrorSerializer,
            (404, "application/json"): ErrorSerializer,
        },
        tags=["maps"],
    )
    def get(self, request, map_id):
        fmt = request.query_params.get("format") or "json"
        if fmt not in export.FORMATS:
            raise serializers.ValidationError(
                {"format": f"Choose one of: {', '.join(export.FORMATS)}."}
            )
        empathy_map = map_for_user(user=request.user, map_id=map_id)
        data = export.map_export(
            empathy_map=empathy_map, viewer=visibility.viewer_of_map(empathy_map)
        )
        if fmt == "json":
            body = data
        else:
            body = export.export_csv(data) if fmt == "csv" else export.export_markdown(data)
        # Named after the map in every format, so a browser's download is not "download.json".
        filename = f"{slugify(empathy_map.title) or 'map'}-{empathy_map.pk}.{fmt}"
        return Response(body, headers={"Content-Disposition": f'attachment; filename="{filename}"'})

    def handle_exception(self, exc):
        # Errors are JSON whatever format was asked for.
        self.request.accepted_renderer = renderers.JSONRenderer()
        self.request.accepted_media_type = renderers.JSONRenderer.media_type
        return super().handle_exception(exc)
