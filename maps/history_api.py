"""REST API for a note's history and for comparing two moments of a map (thin views)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from maps import history
from maps.api import ERRORS, ConflictSerializer, EventSerializer, NoteSerializer, valid


class HistoryEventSerializer(EventSerializer):
    changes = serializers.DictField(
        child=serializers.ListField(),
        help_text=(
            "Fields the event changed on the note, each [before, after]: text, team, color, "
            "section, position, review_state, review_comment, status."
        ),
    )


class NoteHistorySerializer(serializers.Serializer):
    events = HistoryEventSerializer(many=True)


class NoteHistoryView(APIView):
    @extend_schema(
        summary="Every event about a note, oldest first (any member)",
        responses={200: NoteHistorySerializer, **ERRORS},
        tags=["notes"],
    )
    def get(self, request, note_id):
        return Response({"events": history.note_history(user=request.user, note_id=note_id)})


class RestoreTextSerializer(serializers.Serializer):
    seq = serializers.IntegerField(min_value=1, help_text="An event in the note's history.")


class NoteHistoryRestoreView(APIView):
    # JSON only: a form or multipart body gets 415 with a JSON error, as the schema says.
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Bring back the text a note had after an event of its history (editor)",
        description=(
            "A normal edit of the text, based on the note's current version, so it is itself "
            "in the history (a `note.updated` event)."
        ),
        request=RestoreTextSerializer,
        responses={200: NoteSerializer, 409: ConflictSerializer, **ERRORS},
        tags=["notes"],
    )
    def post(self, request, note_id):
        data = valid(RestoreTextSerializer, request)
        note = history.note_restore_text(actor=request.user, note_id=note_id, seq=data["seq"])
        return Response(note)


class MomentSerializer(serializers.Serializer):
    seq = serializers.IntegerField(help_text="The last event at or before the moment.")
    at = serializers.DateTimeField()


class CompareSerializer(serializers.Serializer):
    # `from` is a keyword: declared below.
    to = MomentSerializer()
    added = NoteSerializer(many=True)
    removed = NoteSerializer(many=True, help_text="The notes as they were at `from`.")
    edited = inline_serializer(
        "EditedNote",
        {
            "note": serializers.IntegerField(),
            "before": NoteSerializer(),
            "after": NoteSerializer(),
        },
        many=True,
    )
    status_changes = inline_serializer(
        "StatusChange",
        {
            "note": serializers.IntegerField(),
            "from": serializers.CharField(),
            "to": serializers.CharField(),
            "cause": serializers.ChoiceField(
                choices=["evidence", "time", "edit"],
                help_text=(
                    "evidence: the note's links, or the linked items' dates or segments, "
                    "changed; edit: a lead changed the map's freshness settings; time: the "
                    "same evidence judged on a later day."
                ),
            ),
        },
        many=True,
    )
    counts = serializers.DictField(
        child=serializers.IntegerField(), help_text='"FROM->TO": number of notes.'
    )


CompareSerializer._declared_fields["from"] = MomentSerializer()


class MapCompareView(APIView):
    @extend_schema(
        summary="What changed on a map between two moments (any member)",
        parameters=[
            OpenApiParameter("from", str, required=True, description="A seq or ISO 8601 moment."),
            OpenApiParameter("to", str, description="A seq or ISO 8601 moment; default now."),
        ],
        responses={200: CompareSerializer, **ERRORS},
        tags=["maps"],
    )
    def get(self, request, map_id):
        return Response(
            history.map_compare(
                user=request.user,
                map_id=map_id,
                start=request.query_params.get("from"),
                end=request.query_params.get("to"),
            )
        )
