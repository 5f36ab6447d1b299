"""REST API for the drift radar, and for a note made from an uncovered theme (thin views)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from maps.api import ERRORS, NoteSerializer, valid
from research import drift
from research.api import EvidenceSerializer
from research.models import Stance


class DriftSerializer(serializers.Serializer):
    days = serializers.IntegerField()
    since = serializers.DateField(help_text="Evidence collected or added since this day counts.")
    unlinked = inline_serializer(
        "DriftUnlinked",
        {
            "evidence": EvidenceSerializer(),
            "notes": inline_serializer(
                "DriftLikelyNote",
                {
                    "note": serializers.IntegerField(),
                    "score": serializers.FloatField(),
                    "matched": serializers.ListField(child=serializers.CharField()),
                },
                many=True,
                help_text="The notes it is most likely about, best first (at most 3).",
            ),
        },
        many=True,
        help_text="Recent evidence linked to no note of the map, newest first (at most 100).",
    )
    uncovered = inline_serializer(
        "DriftTheme",
        {
            "evidence": EvidenceSerializer(many=True, help_text="Most representative first."),
            "section": serializers.CharField(help_text="The section it most likely belongs to."),
            "words": serializers.ListField(child=serializers.CharField()),
        },
        many=True,
        help_text="Groups of that evidence no note of the map is close to, largest first.",
    )


class MapDriftView(APIView):
    @extend_schema(
        summary="Recent evidence the map does not reflect (any member)",
        description="See docs/drift.md for how likely notes are ranked and groups formed.",
        parameters=[OpenApiParameter("days", int, description="1 to 3650; default 90.")],
        responses={200: DriftSerializer, **ERRORS},
        tags=["research"],
    )
    def get(self, request, map_id):
        days = request.query_params.get("days")
        return Response(drift.map_drift(user=request.user, map_id=map_id, days=days))


class ThemeNoteSerializer(serializers.Serializer):
    section = serializers.CharField()
    text = serializers.CharField(allow_blank=True, trim_whitespace=False)
    evidence = serializers.ListField(
        child=serializers.IntegerField(min_value=1), min_length=1, max_length=50
    )
    stance = serializers.ChoiceField(choices=Stance.choices, default=Stance.SUPPORTS)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class MapDriftNoteView(APIView):
    @extend_schema(
        summary="Create a note already linked to evidence, e.g. an uncovered theme (researcher)",
        description="One note.created and a link.created per item, all or nothing.",
        request=ThemeNoteSerializer,
        responses={201: NoteSerializer, **ERRORS},
        tags=["research"],
    )
    def post(self, request, map_id):
        data = valid(ThemeNoteSerializer, request)
        note = drift.note_create_with_evidence(
            actor=request.user,
            map_id=map_id,
            section=data["section"],
            text=data["text"],
            evidence_ids=data["evidence"],
            stance=data["stance"],
            comment=data.get("comment", ""),
        )
        return Response(note, status=status.HTTP_201_CREATED)
