"""Project-wide middleware."""

from django.urls import reverse

TO_FIELD = "_to_field"


class AdminEmptyToFieldMiddleware:
    """django-admin's change and delete views read `_to_field` from the query string or the
    form; present but empty, it passes the allowed-field check and then looks up a field named
    "" (ModelAdmin.get_object): a 500 for every model. An empty value means "the primary key",
    so it is dropped before the admin sees it."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.admin_prefix = None

    def __call__(self, request):
        if self.admin_prefix is None:
            self.admin_prefix = reverse("admin:index")
        if request.path.startswith(self.admin_prefix):
            if request.GET.get(TO_FIELD, None) == "":
                request.GET = _without(request.GET)
            if request.method == "POST" and request.POST.get(TO_FIELD, None) == "":
                request.POST = _without(request.POST)
        return self.get_response(request)


def _without(data):
    data = data.copy()
    data.pop(TO_FIELD)
    return data
