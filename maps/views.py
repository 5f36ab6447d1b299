"""Pages: home (workspaces and maps), members, sign up. Thin: parse, call a service, render."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from maps import selectors, services
from maps.forms import MapForm, MemberForm, RoleForm, WorkspaceForm, add_service_errors
from maps.models import Role


@require_http_methods(["GET", "POST"])
def signup(request):
    if not settings.ALLOW_SIGNUP:
        raise Http404("Sign-up is closed on this server.")
    form = UserCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.username}. Create a workspace to begin.")
        return redirect("home")
    return render(request, "registration/signup.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def home(request):
    workspaces = selectors.workspaces_for_user(user=request.user)
    editable = [w for w in workspaces if Role(w.role).includes(Role.EDITOR)]
    workspace_form = WorkspaceForm(prefix="ws")
    map_form = MapForm(prefix="map", workspaces=editable)
    if request.method == "POST" and "ws-name" in request.POST:
        workspace_form = WorkspaceForm(request.POST, prefix="ws")
        if workspace_form.is_valid():
            try:
                workspace = services.workspace_create(
                    actor=request.user, name=workspace_form.cleaned_data["name"]
                )
            except ValidationError as error:
                add_service_errors(workspace_form, error)
            else:
                messages.success(request, f"Workspace “{workspace.name}” created.")
                return redirect("home")
    elif request.method == "POST":
        map_form = MapForm(request.POST, prefix="map", workspaces=editable)
        if map_form.is_valid():
            data = map_form.cleaned_data
            try:
                empathy_map = services.map_create(
                    actor=request.user,
                    workspace_slug=data["workspace"],
                    title=data["title"],
                    persona=data["persona"],
                    layout=data["layout"],
                )
            except ValidationError as error:
                add_service_errors(map_form, error)
            else:
                return redirect(empathy_map.get_absolute_url())
    maps = list(selectors.maps_for_user(user=request.user, include_archived=True))
    for workspace in workspaces:
        workspace.map_list = [m for m in maps if m.workspace_id == workspace.pk]
    return render(
        request,
        "maps/home.html",
        {"workspaces": workspaces, "workspace_form": workspace_form, "map_form": map_form},
    )


@login_required
@require_http_methods(["GET", "POST"])
def members(request, slug):
    workspace = selectors.workspace_for_user(user=request.user, slug=slug)
    is_lead = Role(workspace.role).includes(Role.LEAD)
    form = MemberForm()
    if request.method == "POST":
        action = request.POST.get("action", "add")
        try:
            if action == "add":
                form = MemberForm(request.POST)
                if form.is_valid():
                    services.member_add(
                        actor=request.user, workspace_slug=slug, **form.cleaned_data
                    )
                    messages.success(request, f"{form.cleaned_data['username']} added.")
                    return redirect("members", slug=slug)
            elif action == "role":
                role_form = RoleForm(request.POST)
                if role_form.is_valid():
                    services.member_update(
                        actor=request.user,
                        workspace_slug=slug,
                        username=request.POST.get("username", ""),
                        role=role_form.cleaned_data["role"],
                    )
                    messages.success(request, "Role changed.")
                    return redirect("members", slug=slug)
            elif action == "remove":
                services.member_remove(
                    actor=request.user,
                    workspace_slug=slug,
                    username=request.POST.get("username", ""),
                )
                messages.success(request, "Member removed.")
                return redirect("members", slug=slug)
        except ValidationError as error:
            if action == "add":
                add_service_errors(form, error)
            else:
                for message_list in error.message_dict.values():
                    for message in message_list:
                        messages.error(request, message)
    return render(
        request,
        "maps/members.html",
        {
            "workspace": workspace,
            "memberships": selectors.members_of(workspace=workspace),
            "form": form,
            "is_lead": is_lead,
            "roles": Role.choices,
        },
    )
