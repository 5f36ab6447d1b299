"""Pages of the evidence library: list and search, detail, forms to add and import evidence.

Thin: parse, call a selector or a service, render.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_http_methods

from maps.forms import add_service_errors
from maps.models import Role
from maps.selectors import parse_id, workspace_for_user
from research import pending_imports, selectors, services
from research.forms import EvidenceEditForm, EvidenceForm, ImportForm, SegmentForm, SourceForm
from research.importers.segments import closest_segment
from research.models import SourceKind
from research.selectors import RequestState
from research.status import STATUS_LABELS

PAGE_SIZE = 100


def library_forms(request, workspace, segments, sources):
    data = request.POST if request.method == "POST" else None
    action = request.POST.get("action") if data else None
    return {
        "segment": SegmentForm(data if action == "segment" else None, prefix="seg"),
        "source": SourceForm(data if action == "source" else None, prefix="src", segments=segments),
        "evidence": EvidenceForm(
            data if action == "evidence" else None,
            prefix="ev",
            sources=sources,
            segments=segments,
        ),
        "import": ImportForm(
            data if action == "import" else None,
            request.FILES if action == "import" else None,
            prefix="imp",
        ),
    }


def save_library_form(request, slug, action, form):
    """Run the service behind one of the library's forms; True when it saved."""
    data = form.cleaned_data
    if action == "segment":
        # segment_create returns the existing segment for a known name, so ask first.
        existed = (
            selectors.segments_for_user(user=request.user, workspace_slug=slug)
            .filter(name=data["name"])
            .exists()
        )
        segment = services.segment_create(
            actor=request.user, workspace_slug=slug, name=data["name"]
        )
        if existed:
            messages.info(request, f"Segment “{segment.name}” already exists.")
        else:
            messages.success(request, f"Segment “{segment.name}” added.")
    elif action == "source":
        source = services.source_create(
            actor=request.user,
            workspace_slug=slug,
            kind=data["kind"],
            title=data["title"],
            collected_on=data["collected_on"],
            url=data["url"],
            segment_id=data["segment"],
        )
        messages.success(request, f"Source “{source.title}” added. Now add evidence from it.")
    elif action == "evidence":
        services.evidence_create(
            actor=request.user,
            source_id=data["source"],
            text=data["text"],
            collected_on=data["collected_on"],
            segment_id=data["segment"],
            participant=data["participant"],
            url=data["url"],
        )
        messages.success(request, "Evidence added.")
    return True


@login_required
@require_http_methods(["GET", "POST"])
def library(request, slug):
    workspace = workspace_for_user(user=request.user, slug=slug)
    can_research = Role(workspace.role).includes(Role.RESEARCHER) and not workspace.archived
    segments = list(selectors.segments_for_user(user=request.user, workspace_slug=slug))
    sources = list(selectors.sources_for_user(user=request.user, workspace_slug=slug))
    forms = library_forms(request, workspace, segments, sources)
    import_report = None
    segment_question = None
    if request.method == "POST":
        if not Role(workspace.role).includes(Role.RESEARCHER):
            raise PermissionDenied("Only researchers and leads add evidence.")
        if workspace.archived:
            messages.error(request, "This workspace is archived: its evidence is read-only.")
            return redirect("evidence-library", slug=slug)
        action = request.POST.get("action", "")
        if action in ("import-segments", "import-cancel"):
            import_report = answer_segment_question(request, slug, action, segments)
            if import_report is None:
                return redirect("evidence-library", slug=slug)
            segments = list(selectors.segments_for_user(user=request.user, workspace_slug=slug))
            form = None
        else:
            form = forms.get(action)
            if form is None:
                raise Http404("Unknown action.")
        if form is not None and form.is_valid():
            try:
                if action == "import":
                    import_report, segment_question = run_import(request, slug, form, segments)
                    segments = list(
                        selectors.segments_for_user(user=request.user, workspace_slug=slug)
                    )
                else:
                    save_library_form(request, slug, action, form)
                    return redirect("evidence-library", slug=slug)
            except ValidationError as error:
                add_service_errors(form, error)
    filters = {
        "q": request.GET.get("q", "").strip(),
        "kind": request.GET.get("kind", ""),
        "segment": request.GET.get("segment", ""),
        "source": request.GET.get("source", ""),
    }
    evidence = selectors.evidence_for_user_list(
        user=request.user,
        workspace_slug=slug,
        q=filters["q"],
        kind=filters["kind"] if filters["kind"] in SourceKind.values else "",
        segment=filters["segment"],
        source_id=parse_id(filters["source"]),
    )
    total = evidence.count()
    return render(
        request,
        "research/library.html",
        {
            "workspace": workspace,
            "evidence": [
                {
                    **selectors.evidence_payload(item),
                    "kind_label": SourceKind(item.source.kind).label,
                }
                for item in evidence[:PAGE_SIZE]
            ],
            "total": total,
            "page_size": PAGE_SIZE,
            "filters": filters,
            "filtered": any(filters.values()),
            "kinds": SourceKind.choices,
            "segments": segments,
            "sources": sources,
            "forms": forms,
            "can_research": can_research,
            "import_report": import_report,
            "segment_question": segment_question,
            "embedding": embedding_status(
                selectors.embedding_progress(user=request.user, workspace_slug=slug)
            ),
        },
    )


def embedding_status(progress) -> dict:
    """The library's line about background embedding; static/js/embedding-progress.js keeps
    it current with the same words."""
    return {
        "total": progress.total,
        "embedded": progress.embedded,
        "pending": progress.pending,
        "text": f"Embedding {progress.embedded:,} of {progress.total:,} evidence items"
        " for suggestions by meaning.",
    }


DATE_SOURCES = {
    "field": "from the “Collected on” field",
    "header": "from the file's header",
    "file_name": "from the file's name",
    "today": "today, for want of a date in the file",
}


def report_context(report) -> dict:
    data = vars(report)
    return {**data, "date_label": DATE_SOURCES.get(data["date_source"], "")}


def run_import(request, slug, form, segments) -> tuple[dict | None, dict | None]:
    """(the import's report, None), or (None, the question to ask) when the file names
    segments the workspace does not have: the upload is kept until the answer comes."""
    data = form.cleaned_data
    fields = {
        "format": data["format"],
        "filename": data["file"].name or "",
        "collected_on": data["collected_on"].isoformat() if data["collected_on"] else "",
        "segment": data["segment"],
        "interviewer": data["interviewer"],
        "on_error": "skip" if data["skip_bad_rows"] else "stop",
    }
    try:
        report = services.import_file(
            actor=request.user,
            workspace_slug=slug,
            file=data["file"],
            format=fields["format"],
            collected_on=data["collected_on"],
            segment=data["segment"] or None,
            interviewer=data["interviewer"] or None,
            on_error=fields["on_error"],
        )
    except services.ImportNeedsSegments as error:
        data["file"].seek(0)
        token = pending_imports.pending_import_keep(
            user_id=request.user.pk,
            workspace_slug=slug,
            data=data["file"].read(services.import_limit() + 1),
            fields={**fields, "new_segments": error.new_segments},
        )
        return None, segment_question(token, fields["filename"], error.new_segments, segments)
    return report_context(report), None


def segment_question(token: str, filename: str, names: list[str], segments) -> dict:
    by_name = {segment.name: segment.pk for segment in segments}
    existing = list(by_name)
    return {
        "token": token,
        "filename": filename,
        "names": [
            {"index": index, "name": name, "guess": by_name.get(closest_segment(name, existing))}
            for index, name in enumerate(names)
        ],
    }


def answer_segment_question(request, slug, action, segments) -> dict | None:
    """Import a kept upload with the user's answer: each new name mapped to an existing
    segment or created. None (after a message) when cancelled, expired or refused."""
    token = request.POST.get("pending", "")
    pending = pending_imports.pending_import_get(
        token=token, user_id=request.user.pk, workspace_slug=slug
    )
    if pending is None:
        messages.error(request, "That upload has expired. Choose the file again.")
        return None
    if action == "import-cancel":
        pending_imports.pending_import_drop(token=token)
        messages.info(request, "Import cancelled: nothing was imported.")
        return None
    fields = pending.fields
    by_id = {str(segment.pk): segment.name for segment in segments}
    segment_map = {}
    for index, name in enumerate(fields.get("new_segments", [])):
        choice = request.POST.get(f"seg-{index}", "new")
        if choice in by_id:
            segment_map[name] = by_id[choice]
    try:
        report = services.evidence_import(
            actor=request.user,
            workspace_slug=slug,
            fmt=fields.get("format", ""),
            data=pending.data,
            filename=fields.get("filename", ""),
            collected_on=parse_date(fields.get("collected_on") or ""),
            segment_name=fields.get("segment", ""),
            interviewer=fields.get("interviewer", ""),
            on_error=fields.get("on_error", "stop"),
            segment_map=segment_map,
            create_segments=True,
        )
    except ValidationError as error:
        detail = getattr(error, "detail", None) or "; ".join(error.messages)
        messages.error(request, f"Nothing was imported: {detail}")
        pending_imports.pending_import_drop(token=token)
        return None
    pending_imports.pending_import_drop(token=token)
    return report_context(report)


@login_required
@require_http_methods(["GET", "POST"])
def evidence_detail(request, slug, evidence_id):
    workspace = workspace_for_user(user=request.user, slug=slug)
    evidence = selectors.evidence_for_user(user=request.user, evidence_id=evidence_id)
    if evidence.workspace_id != workspace.pk:
        raise Http404("Not found.")
    can_research = Role(workspace.role).includes(Role.RESEARCHER) and not workspace.archived
    segments = list(selectors.segments_for_user(user=request.user, workspace_slug=slug))
    form = EvidenceEditForm(
        prefix="edit",
        segments=segments,
        initial={
            "text": evidence.text,
            "participant": evidence.participant,
            "locator": evidence.locator,
            "url": evidence.url,
            "collected_on": evidence.collected_on,
            "segment": evidence.segment_id,
        },
    )
    if request.method == "POST":
        if not Role(workspace.role).includes(Role.RESEARCHER):
            raise PermissionDenied("Only researchers and leads change evidence.")
        if workspace.archived:
            messages.error(request, "This workspace is archived: its evidence is read-only.")
            return redirect("evidence-detail", slug=slug, evidence_id=evidence.pk)
        try:
            if request.POST.get("action") == "delete":
                unlinked = services.evidence_delete(actor=request.user, evidence_id=evidence.pk)
                notes = f", and unlinked from {unlinked} note{'s' if unlinked != 1 else ''}"
                messages.success(request, f"Evidence deleted{notes if unlinked else ''}.")
                return redirect("evidence-library", slug=slug)
            form = EvidenceEditForm(request.POST, prefix="edit", segments=segments)
            if form.is_valid():
                # Only what the researcher changed: a correction made meanwhile by someone else
                # to another field is kept.
                services.evidence_update(
                    actor=request.user,
                    evidence_id=evidence.pk,
                    **{name: form.cleaned_data[name] for name in form.changed_data},
                )
                messages.success(request, "Evidence corrected.")
                return redirect("evidence-detail", slug=slug, evidence_id=evidence.pk)
        except ValidationError as error:
            if request.POST.get("action") == "delete":
                for message_list in error.message_dict.values():
                    for message in message_list:
                        messages.error(request, message)
            else:
                add_service_errors(form, error)
    links = list(selectors.links_for_evidence(user=request.user, evidence_id=evidence.pk))
    return render(
        request,
        "research/evidence_detail.html",
        {
            "workspace": workspace,
            "item": selectors.evidence_payload(evidence),
            "kind_label": dict(SourceKind.choices).get(evidence.source.kind, ""),
            "supports": [link for link in links if link.stance == "supports"],
            "contradicts": [link for link in links if link.stance == "contradicts"],
            "can_research": can_research,
            "form": form,
            "link_count": len(links),
        },
    )


@login_required
@require_http_methods(["GET"])
def research_requests(request, slug):
    """A researcher's queue: notes a lead marked needs_research, soonest due first."""
    workspace = workspace_for_user(user=request.user, slug=slug)
    # A researcher's own queue: what is theirs, and what nobody has taken yet.
    default_assignee = "me_or_none" if workspace.role == Role.RESEARCHER else ""
    assignee = request.GET.get("assignee", default_assignee)
    state = request.GET.get("state", RequestState.OPEN)
    if state not in RequestState.values:
        state = RequestState.OPEN
    queue = selectors.research_requests_for_user(
        user=request.user, workspace_slug=slug, assignee=assignee, state=state
    )
    return render(
        request,
        "research/requests.html",
        {
            "workspace": workspace,
            "requests": [
                {
                    **item,
                    "status_label": STATUS_LABELS.get(item["note"]["status"], ""),
                    "due_date": parse_date(item["due"]) if item["due"] else None,
                }
                for item in queue
            ],
            "assignee": assignee,
            "state": state,
            "states": RequestState.choices,
        },
    )
