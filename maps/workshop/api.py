"""REST API of the workshop: stances, dot votes, alignment, timer, comments, mentions (thin)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from maps import selectors
from maps.api import ERRORS, ErrorSerializer, MapSerializer, NoteSerializer, valid
from maps.models import StanceValue
from maps.workshop import schema, services
from maps.workshop import selectors as workshop_selectors

TAGS = ["workshop"]


class StanceRequestSerializer(serializers.Serializer):
    stance = serializers.ChoiceField(
        choices=StanceValue.choices,
        allow_null=True,
        help_text="agree (I see this too), disagree (not what I see), or null: no stance.",
    )


class VoteErrorSerializer(ErrorSerializer):
    votes = serializers.ListField(child=serializers.CharField(), required=False)


class TimerRequestSerializer(serializers.Serializer):
    seconds = serializers.IntegerField(
        min_value=services.TIMER_SECONDS_MIN, max_value=services.TIMER_SECONDS_MAX
    )


class TeamPairSerializer(serializers.Serializer):
    teams = serializers.ListField(child=serializers.CharField(), min_length=2, max_length=2)
    score = serializers.FloatField(
        allow_null=True,
        help_text="Of the live notes either team has a stance on (`notes`), the share that both "
        "teams agree with and no member of either disagrees with (`agreed`).",
    )
    notes = serializers.IntegerField()
    agreed = serializers.IntegerField()


class HistoryPointSerializer(serializers.Serializer):
    at = serializers.DateTimeField(help_text="When a lead marked the map reviewed.")
    seq = serializers.IntegerField(help_text="The seq of that checkpoint's event.")
    score = serializers.FloatField(allow_null=True)


class AlignmentSerializer(serializers.Serializer):
    score = serializers.FloatField(
        allow_null=True, help_text="Shared notes over live notes; null for a map without notes."
    )
    by_section = serializers.DictField(
        child=serializers.FloatField(allow_null=True),
        help_text="Section -> the score of its live notes (null without notes).",
    )
    by_team_pair = TeamPairSerializer(
        many=True, help_text="Every pair of the teams with a stance on a live note."
    )
    shared = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Members of two or more teams agree, and no one disagrees.",
    )
    single_team = serializers.ListField(child=serializers.IntegerField())
    disputed = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Members of one team agree, members of another disagree.",
    )
    loud_assumptions = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Live notes with status assumption (dismissed ones left out), most votes plus "
        "agreements first; votes of an open blind vote count only for leads.",
    )
    history = HistoryPointSerializer(
        many=True,
        help_text="The score at each review checkpoint, oldest first, replayed from the log.",
    )


class MentionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    comment = schema.CommentSerializer()
    note = serializers.IntegerField()
    map = serializers.IntegerField()
    map_title = serializers.CharField()
    by = serializers.CharField(allow_null=True)
    at = serializers.DateTimeField()
    read = serializers.BooleanField()


VOTE_ERRORS = {
    400: VoteErrorSerializer,
    403: ErrorSerializer,
    404: ErrorSerializer,
}


def vote_refused(refusal: services.VoteRefused) -> Response:
    body = {"detail": refusal.detail, "code": refusal.error_code, "votes": [refusal.detail]}
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


class NoteStanceView(APIView):
    @extend_schema(
        summary="Agree or disagree with a note, or take your stance back (any member)",
        request=StanceRequestSerializer,
        responses={200: NoteSerializer, **ERRORS},
        tags=TAGS,
    )
    def put(self, request, note_id):
        data = valid(StanceRequestSerializer, request)
        note = services.note_stance_set(actor=request.user, note_id=note_id, stance=data["stance"])
        return Response(note)


class NoteVotesView(APIView):
    # JSON only: a form or multipart body gets 415 with a JSON error, as the schema says.
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Put one of your dots on a note (any member, while a vote is open)",
        description="400 with code `vote_closed` when no vote is open, `no_votes_left` past "
        "the vote's per_person.",
        request=None,
        responses={200: NoteSerializer, **VOTE_ERRORS},
        tags=TAGS,
    )
    def post(self, request, note_id):
        try:
            note = services.note_vote_add(actor=request.user, note_id=note_id)
        except services.VoteRefused as refusal:
            return vote_refused(refusal)
        return Response(note)

    @extend_schema(
        summary="Take back one of your dots on a note",
        description="400 with code `no_vote` when you have none on it, `vote_closed` when no "
        "vote is open.",
        request=None,
        responses={200: NoteSerializer, **VOTE_ERRORS},
        tags=TAGS,
    )
    def delete(self, request, note_id):
        try:
            note = services.note_vote_remove(actor=request.user, note_id=note_id)
        except services.VoteRefused as refusal:
            return vote_refused(refusal)
        return Response(note)


class MapAlignmentView(APIView):
    @extend_schema(
        summary="How aligned the teams are on the map (any member)",
        responses={200: AlignmentSerializer, **ERRORS},
        tags=TAGS,
    )
    def get(self, request, map_id):
        empathy_map = selectors.map_for_user(user=request.user, map_id=map_id)
        alignment, _notes = workshop_selectors.map_alignment(
            empathy_map=empathy_map, viewer=request.user
        )
        return Response(alignment)


class MapTimerView(APIView):
    # JSON only: a form or multipart body gets 415 with a JSON error, as the schema says.
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Start a countdown for everyone on the board (lead)",
        request=TimerRequestSerializer,
        responses={200: MapSerializer, **ERRORS},
        tags=TAGS,
    )
    def post(self, request, map_id):
        data = valid(TimerRequestSerializer, request)
        empathy_map = services.map_timer_start(
            actor=request.user, map_id=map_id, seconds=data["seconds"]
        )
        return Response(selectors.map_payload(empathy_map))

    @extend_schema(
        summary="Stop the countdown (lead)",
        request=None,
        responses={200: MapSerializer, **ERRORS},
        tags=TAGS,
    )
    def delete(self, request, map_id):
        empathy_map = services.map_timer_stop(actor=request.user, map_id=map_id)
        return Response(selectors.map_payload(empathy_map))


class NoteCommentsView(APIView):
    @extend_schema(
        summary="A note's comments, oldest first (any member)",
        responses={200: schema.CommentSerializer(many=True), **ERRORS},
        tags=TAGS,
    )
    def get(self, request, note_id):
        return Response(workshop_selectors.note_comments(user=request.user, note_id=note_id))

    @extend_schema(
        summary="Comment on a note (editor and up); @username of a member mentions them",
        request=schema.CommentSerializer,
        responses={201: schema.CommentSerializer, **ERRORS},
        tags=TAGS,
    )
    def post(self, request, note_id):
        data = valid(schema.CommentSerializer, request)
        comment = services.comment_create(
            actor=request.user, note_id=note_id, text=data["text"], parent=data.get("parent")
        )
        return Response(comment, status=status.HTTP_201_CREATED)


class MentionListView(APIView):
    @extend_schema(
        summary="Your mentions, newest first (at most 200)",
        parameters=[OpenApiParameter("unread", bool, description="Only the unread ones.")],
        responses={200: MentionSerializer(many=True)},
        tags=TAGS,
    )
    def get(self, request):
        unread_only = request.query_params.get("unread") in ("1", "true")
        return Response(workshop_selectors.mention_list(user=request.user, unread_only=unread_only))


class MentionUnreadView(APIView):
    @extend_schema(
        summary="How many of your mentions are unread",
        responses={200: inline_serializer("MentionCount", {"unread": serializers.IntegerField()})},
        tags=TAGS,
    )
    def get(self, request):
        return Response({"unread": workshop_selectors.unread_mentions(user=request.user)})


class MentionReadView(APIView):
    @extend_schema(
        summary="Mark one of your mentions read",
        request=None,
        responses={200: MentionSerializer, **ERRORS},
        tags=TAGS,
    )
    def post(self, request, mention_id):
        mention = services.mention_mark_read(actor=request.user, mention_id=mention_id)
        return Response(workshop_selectors.mention_payload(mention))
