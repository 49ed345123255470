"""The outbox as a "sent mail" folder (what went out, what is waiting, what failed)."""

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_safe

from notifications.models import OutboxMessage
from notifications.selectors_mail import outbox_messages, outbox_preview, outbox_status_counts, redacted_context
from notifications.services import message_id_header

from ..decorators import staff_required
from ..forms import StaffMailFilterForm

PAGE_SIZE = 50


@staff_required
@require_safe
def mail_list(request):
    form = StaffMailFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    messages = outbox_messages(status=filters.get("status", ""), query=filters.get("q", "").strip())
    page = Paginator(messages, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "staff/mail_list.html",
        {"form": form, "page": page, "counts": outbox_status_counts()},
    )


@staff_required
@require_safe
def mail_detail(request, pk: int):
    message = get_object_or_404(OutboxMessage, pk=pk)
    return render(
        request,
        "staff/mail_detail.html",
        {
            "message": message,
            "preview": outbox_preview(message),
            "context_shown": redacted_context(message),
            "message_id_header": message_id_header(message),
        },
    )


# The e-mail's own HTML, shown in the detail page's sandboxed frame: its inline styles are
# allowed here, and nothing else (no script, no request anywhere, not even to this site).
PREVIEW_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"


@staff_required
@require_safe
@xframe_options_sameorigin
def mail_preview(request, pk: int):
    message = get_object_or_404(OutboxMessage, pk=pk)
    preview = outbox_preview(message)
    if preview.hidden or preview.error:
        raise Http404("No preview of this e-mail.")
    response = HttpResponse(preview.html)
    response["Content-Security-Policy"] = PREVIEW_CSP + "; frame-ancestors 'self'"
    response["Cache-Control"] = "no-store"
    return response
