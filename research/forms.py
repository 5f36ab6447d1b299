from django import forms

from research.models import SourceKind


class SegmentForm(forms.Form):
    name = forms.CharField(max_length=120, label="Segment name")


class SourceForm(forms.Form):
    kind = forms.ChoiceField(choices=SourceKind.choices)
    title = forms.CharField(max_length=300)
    collected_on = forms.DateField(
        required=False, label="Collected on", widget=forms.DateInput(attrs={"type": "date"})
    )
    url = forms.URLField(required=False, max_length=500, label="Link (URL)", assume_scheme="https")
    segment = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)

    def __init__(self, *args, segments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segment"].choices = [("", "No segment")] + [(s.pk, s.name) for s in segments]


class EvidenceForm(forms.Form):
    source = forms.TypedChoiceField(coerce=int)
    text = forms.CharField(
        max_length=10000, widget=forms.Textarea(attrs={"rows": 3}), label="Quote or finding"
    )
    collected_on = forms.DateField(
        required=False,
        label="Collected on",
        help_text="Defaults to the source's date.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    segment = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    participant = forms.CharField(max_length=120, required=False)
    url = forms.URLField(required=False, max_length=500, label="Link (URL)", assume_scheme="https")

    def __init__(self, *args, sources=(), segments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [(s.pk, s.title) for s in sources]
        self.fields["segment"].choices = [("", "The source's segment")] + [
            (s.pk, s.name) for s in segments
        ]


class EvidenceEditForm(forms.Form):
    text = forms.CharField(
        max_length=10000, widget=forms.Textarea(attrs={"rows": 4}), label="Quote or finding"
    )
    participant = forms.CharField(max_length=120, required=False)
    locator = forms.CharField(
        max_length=120, required=False, label="Where", help_text="A time, page or line."
    )
    url = forms.URLField(required=False, max_length=500, label="Link (URL)", assume_scheme="https")
    collected_on = forms.DateField(
        label="Collected on",
        help_text="Changing it can make the notes citing it fresh or stale.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    segment = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)

    def __init__(self, *args, segments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segment"].choices = [("", "The source's segment")] + [
            (s.pk, s.name) for s in segments
        ]


class ImportForm(forms.Form):
    FORMATS = [
        ("support_csv", "Support tickets (CSV)"),
        ("transcript", "Interview transcript (.vtt, .srt, .txt)"),
        ("usage_csv", "Usage data (CSV)"),
    ]
    file = forms.FileField()
    format = forms.ChoiceField(choices=FORMATS)
    collected_on = forms.DateField(
        required=False,
        label="Collected on",
        help_text="Transcripts: leave empty to use the date in the file's header or name.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    segment = forms.CharField(max_length=120, required=False, help_text="Segment name, if any.")
    interviewer = forms.CharField(
        max_length=120, required=False, help_text="Transcripts: the interviewer's name."
    )
    skip_bad_rows = forms.BooleanField(
        required=False,
        label="Skip rows that cannot be read",
        help_text="CSV files: import the good rows and list the others. Unticked, one bad row "
        "stops the whole import.",
    )
