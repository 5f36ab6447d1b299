"""REST API for segments, sources, evidence and note-evidence links (thin views)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from maps.api import ERRORS, valid
from maps.models import Role
from maps.selectors import iso, note_for_user
from research import selectors, services
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
        if source and not source.isdigit():
            raise serializers.ValidationError({"source": "Give a source id."})
        evidence = selectors.evidence_for_user_list(
            user=request.user,
            workspace_slug=params.get("workspace"),
            q=params.get("q", ""),
            kind=params.get("kind", ""),
            segment=params.get("segment", ""),
            source_id=int(source) if source else None,
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
