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
from research import selectors, services
from research.forms import EvidenceEditForm, EvidenceForm, ImportForm, SegmentForm, SourceForm
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
    if request.method == "POST":
        if not Role(workspace.role).includes(Role.RESEARCHER):
            raise PermissionDenied("Only researchers and leads add evidence.")
        if workspace.archived:
            messages.error(request, "This workspace is archived: its evidence is read-only.")
            return redirect("evidence-library", slug=slug)
        action = request.POST.get("action", "")
        form = forms.get(action)
        if form is None:
            raise Http404("Unknown action.")
        if form.is_valid():
            try:
                if action == "import":
                    import_report = run_import(request, slug, form)
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


def run_import(request, slug, form) -> dict:
    data = form.cleaned_data
    report = services.import_file(
        actor=request.user,
        workspace_slug=slug,
        file=data["file"],
        format=data["format"],
        collected_on=data["collected_on"],
        segment=data["segment"] or None,
        interviewer=data["interviewer"] or None,
    )
    return report if isinstance(report, dict) else vars(report)


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
    links = list(selectors.links_for_evidence(evidence_id=evidence.pk))
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
