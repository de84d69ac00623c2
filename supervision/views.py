"""督查督办 pages: the items list (a unit's open items first), one item with its answers and the next step,
issuing an item and writing a 批示 (prefilled from the row clicked), and where each role starts after login.
Views validate, call one service or selector, and render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import REPORTERS, REVIEWERS, has_role, is_reporter, is_reviewer, role_required
from audit.services import Conflict
from reporting.evidence import attachment
from supervision.forms import (
    AboutForm,
    InstructionForm,
    ItemFilter,
    ItemForm,
    RespondForm,
    ReturnForm,
    VersionForm,
    item_initial,
)
from supervision.models import Instruction, ResponseFile
from supervision.selectors import (
    instructions_listed,
    item_detail,
    items_listed,
    items_visible,
    open_items_count,
)
from supervision.services import (
    ISSUERS,
    instruction_write,
    item_close,
    item_issue,
    item_respond,
    item_return,
)


@login_required
@require_GET
def start(request):
    """Where a person lands after logging in: a unit with 督办事项 waiting for its answer sees them first,
    otherwise 本季度填报; a leader the 督办看板; the office its review queue."""
    user = request.user
    if is_reporter(user):
        if open_items_count(user.unit_id):
            return redirect(f"{reverse('supervision-items')}?state=open")
        return redirect("report")
    if is_reviewer(user):
        return redirect("review")
    if has_role(user, ISSUERS):
        return redirect("reports:board")
    return redirect("home")


EVERYONE = (*REPORTERS, *REVIEWERS, "leader")


@role_required(*EVERYONE)
@require_GET
def item_list(request):
    form = ItemFilter(request.GET)
    state = form.cleaned_data["state"] if form.is_valid() else ""
    items = list(items_listed(request.user, state=state))
    return render(
        request,
        "supervision/items.html",
        {
            "items": items, "filter": form, "today": timezone.localdate(),
            "can_issue": has_role(request.user, ISSUERS),
        },
    )  # fmt: skip


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, problems in error.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
    else:
        form.add_error(None, error.messages)


@role_required(*ISSUERS)
@require_http_methods(["GET", "POST"])
def item_new(request):
    """下达督办: GET prefilled from `?indicator=…`, `?task=…` or `?unit=…&period=…` (the row clicked), or
    blank (an item with no source); a subject that does not exist is a 400."""
    if request.method == "POST":
        form = ItemForm(request.POST)
        if form.is_valid():
            try:
                item = item_issue(by=request.user, data=form.item_input())
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, f"督办事项“{item.title}”已下达，已通知{item.lead_unit.name}。")
                return redirect("supervision-item", pk=item.pk)
        return render(request, "supervision/item_new.html", {"form": form}, status=400)
    if not request.GET:
        return render(request, "supervision/item_new.html", {"form": ItemForm()})
    subject = AboutForm(request.GET)
    try:
        if not subject.is_valid():
            raise ValidationError("链接中的督办对象不正确，请从督办看板上的指标、任务或单位打开。")
        about = subject.about()
        about.check(required=False)  # a unit's reporting is always of one quarter
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return render(request, "supervision/item_new.html", {"form": ItemForm()}, status=400)
    return render(request, "supervision/item_new.html", {"form": ItemForm(initial=item_initial(about))})


@role_required(*EVERYONE)
@require_GET
def item_page(request, pk: int):
    item = item_detail(request.user, pk)
    user = request.user
    can_answer = item.is_open and is_reporter(user) and user.unit_id == item.lead_unit_id
    can_check = item.state == item.State.ANSWERED and is_reviewer(user)
    return render(
        request,
        "supervision/item.html",
        {
            "item": item, "today": timezone.localdate(), "can_answer": can_answer, "can_check": can_check,
            "respond": RespondForm(initial={"version": item.version}),
            "close": VersionForm(initial={"version": item.version}),
            "back": ReturnForm(initial={"version": item.version}),
            "history": item.history.select_related("history_user").order_by("history_date", "history_id"),
        },
    )  # fmt: skip


def _step(request, pk: int, form, act):
    """Run one transition from the item's page; its errors go back to the page as messages."""
    item = get_object_or_404(items_visible(request.user), pk=pk)
    if not form.is_valid():
        for problems in form.errors.values():
            messages.error(request, " ".join(problems))
        return redirect("supervision-item", pk=item.pk)
    try:
        done = act(item, form.cleaned_data)
    except (ValidationError, Conflict) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        messages.success(request, done)
    return redirect("supervision-item", pk=item.pk)


@role_required(*REPORTERS)
@require_POST
def item_respond_view(request, pk: int):
    def act(item, data):
        item_respond(
            item=item, by=request.user, text=data["text"], files=data["files"], version=data["version"]
        )
        return "办理情况已反馈，等待办公室核实。"

    return _step(request, pk, RespondForm(request.POST, request.FILES), act)


@role_required(*REVIEWERS)
@require_POST
def item_close_view(request, pk: int):
    def act(item, data):
        item_close(item=item, by=request.user, version=data["version"])
        return "督办事项已办结。"

    return _step(request, pk, VersionForm(request.POST), act)


@role_required(*REVIEWERS)
@require_POST
def item_return_view(request, pk: int):
    def act(item, data):
        item_return(item=item, by=request.user, reason=data["reason"], version=data["version"])
        return "已退回重办，并通知牵头单位。"

    return _step(request, pk, ReturnForm(request.POST), act)


@role_required(*EVERYONE)
@require_GET
def response_file(request, pk: int):
    """An answer's evidence file, to those who may see its item only (404 to anyone else)."""
    kept = get_object_or_404(
        ResponseFile.objects.filter(response__item__in=items_visible(request.user)), pk=pk
    )
    return attachment(kept.file, kept.name)


@role_required(*EVERYONE)
@require_GET
def instruction_list(request):
    rows = list(instructions_listed(request.user)[:200])
    return render(
        request, "supervision/instructions.html", {"rows": rows, "can_write": has_role(request.user, ISSUERS)}
    )


def _subject(request) -> tuple[dict, str] | None:
    """The subject named in the query string (the row clicked) as the form's initial data and its words;
    None when it names none, or more than one."""
    form = AboutForm(request.GET)
    if not form.is_valid():
        return None
    about = form.about()
    try:
        about.check(required=True)
    except ValidationError:
        return None
    initial = {name: request.GET.get(name, "") for name in ("indicator", "task", "unit", "period")}
    return initial, Instruction(**about.fields()).about


@role_required(*ISSUERS)
@require_http_methods(["GET", "POST"])
def instruction_new(request):
    """写批示: GET prefilled with its subject from the row clicked; POST records it."""
    if request.method == "POST":
        form = InstructionForm(request.POST)
        if form.is_valid():
            try:
                instruction = instruction_write(
                    by=request.user, text=form.cleaned_data["text"], about=form.about()
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, f"已对{instruction.about}批示，并通知相关单位。")
                return redirect("instructions")
        return render(request, "supervision/instruction_new.html", {"form": form}, status=400)
    subject = _subject(request)
    if subject is None:
        return render(
            request,
            "supervision/instruction_new.html",
            {"form": InstructionForm(), "missing": "请从督办看板上的指标、任务或单位打开批示。"},
            status=400,
        )
    initial, about = subject
    return render(
        request,
        "supervision/instruction_new.html",
        {"form": InstructionForm(initial=initial), "about": about},
    )
