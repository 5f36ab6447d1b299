from django import forms

from maps.models import Layout, Role


class WorkspaceForm(forms.Form):
    name = forms.CharField(max_length=120, label="Workspace name")


class MapForm(forms.Form):
    workspace = forms.ChoiceField(label="Workspace")
    title = forms.CharField(max_length=200)
    persona = forms.CharField(max_length=200, required=False, help_text="Who is this map about?")
    layout = forms.ChoiceField(choices=Layout.choices, initial=Layout.EXTENDED)
    template = forms.TypedChoiceField(
        label="Start from",
        required=False,
        coerce=int,
        empty_value=None,
        help_text="An existing map's layout, description and freshness settings; no notes.",
    )

    def __init__(self, *args, workspaces=(), templates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = [("", "A blank map")] + [
            (m.pk, f"{m.title} ({m.workspace.name})") for m in templates
        ]
        self.fields["workspace"].choices = workspace_choices(workspaces)


def workspace_choices(workspaces) -> list[tuple[str, str]]:
    names = [w.name for w in workspaces]
    # Two workspaces of one name are told apart by their address.
    return [
        (w.slug, f"{w.name} ({w.slug})" if names.count(w.name) > 1 else w.name) for w in workspaces
    ]


class DuplicateMapForm(forms.Form):
    """The board menu's "Duplicate map": what to call the copy, where, and whether its notes
    come along. Every field may be left out of a POST (the copy is then "<title> (copy)", in
    the same workspace, with its notes), as before this page asked."""

    title = forms.CharField(max_length=200, required=False, label="Title of the copy")
    workspace = forms.ChoiceField(label="Workspace", required=False)
    notes = forms.ChoiceField(
        label="What to copy",
        choices=[("1", "The layout and every note"), ("0", "The layout only, no notes")],
        initial="1",
        required=False,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, workspaces=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["workspace"].choices = workspace_choices(workspaces)


class MemberForm(forms.Form):
    username = forms.CharField(max_length=150)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.EDITOR)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


def add_service_errors(form: forms.Form, error) -> None:
    """Show a service's ValidationError on the form, on its field where the form has one."""
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


class MapSettingsForm(forms.Form):
    title = forms.CharField(max_length=200)
    persona = forms.CharField(max_length=200, required=False, help_text="Who is this map about?")
    layout = forms.ChoiceField(
        choices=Layout.choices,
        required=False,
        help_text="No note is lost: with the classic layout, notes of Goals, Pains, Gains, Sees "
        "and Hears wait outside the four sections until you move them or switch back.",
    )
    description = forms.CharField(
        max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    freshness_days = forms.IntegerField(
        min_value=1,
        max_value=36500,
        label="Evidence stays fresh for (days)",
        help_text="Older evidence makes a note stale.",
    )
