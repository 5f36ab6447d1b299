"""Shapes of the workshop's fields on maps, notes and events (validation and OpenAPI), kept
apart from maps/api.py, which adds them to its serializers."""

from rest_framework import serializers

from maps.models import COMMENT_TEXT_MAX, StanceValue
from maps.workshop.services import STEPS, VOTES_PER_PERSON_MAX

TEAM_COUNTS_HELP = "Team -> members of that team with this stance."


class AgreementSerializer(serializers.Serializer):
    agree = serializers.DictField(child=serializers.IntegerField(), help_text=TEAM_COUNTS_HELP)
    disagree = serializers.DictField(child=serializers.IntegerField(), help_text=TEAM_COUNTS_HELP)
    mine = serializers.ChoiceField(
        choices=StanceValue.choices,
        allow_null=True,
        help_text="The caller's stance. Always null in events (they go to everyone): keep yours.",
    )


class NoteVotesSerializer(serializers.Serializer):
    total = serializers.IntegerField(
        allow_null=True,
        help_text="Dots in the current round; null for anyone but a lead while a blind vote is "
        "open, and in every event then.",
    )
    mine = serializers.IntegerField(
        allow_null=True, help_text="The caller's dots on the note; null in events."
    )


class VoteConfigSerializer(serializers.Serializer):
    open = serializers.BooleanField()
    per_person = serializers.IntegerField(
        min_value=1, max_value=VOTES_PER_PERSON_MAX, required=False, help_text="Default 3."
    )
    blind = serializers.BooleanField(
        required=False, help_text="Totals hidden from all but leads while the vote is open."
    )


class MapVoteSerializer(VoteConfigSerializer):
    per_person = serializers.IntegerField()
    blind = serializers.BooleanField()
    round = serializers.IntegerField(
        help_text="Opening a vote after a closed one starts a new round with fresh totals."
    )


class TimerSerializer(serializers.Serializer):
    ends_at = serializers.DateTimeField(help_text="In the past once the countdown has ended.")
    seconds = serializers.IntegerField()


STEP_HELP = "The facilitation step everyone sees: draft, reveal, vote or discuss."
STEP_CHOICES = STEPS


class CommentSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    note = serializers.IntegerField(read_only=True)
    parent = serializers.IntegerField(
        required=False, allow_null=True, help_text="The comment of this note it answers."
    )
    author = serializers.CharField(read_only=True, allow_null=True)
    text = serializers.CharField(
        trim_whitespace=False,
        allow_blank=True,
        help_text=f"Plain text, 1 to {COMMENT_TEXT_MAX} characters after trimming.",
    )
    created_at = serializers.DateTimeField(read_only=True)


class EventWorkshopFields(serializers.Serializer):
    """The workshop's fields of an event (see EventSerializer)."""

    stance = serializers.ChoiceField(
        choices=StanceValue.choices,
        required=False,
        allow_null=True,
        help_text="note.stance: the actor's new stance.",
    )
    delta = serializers.IntegerField(
        required=False, help_text="note.voted: 1 for a vote, -1 for one taken back."
    )
    blind = serializers.BooleanField(
        required=False, help_text="note.voted during a blind vote: no note at all, only the delta."
    )
    vote_totals = serializers.DictField(
        child=serializers.IntegerField(),
        required=False,
        help_text="map.updated changing the vote: note id -> total (notes without votes left "
        "out), unless the vote is now open and blind.",
    )
    comment = CommentSerializer(required=False)
    comments = serializers.IntegerField(
        required=False, help_text="comment.created: the note's comment count."
    )
