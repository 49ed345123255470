"""The schema and its two readers. GET only: DRF's OPTIONS answer would go through the HTML
renderer of the readers, which has no template for it. Swagger UI's start-up script is served
from its own URL (the split view), so the page has no inline script."""

from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView


class SchemaView(SpectacularAPIView):
    http_method_names = ["get", "head"]


class SwaggerView(SpectacularSwaggerSplitView):
    http_method_names = ["get", "head"]

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        if request.GET.get("script") is None:  # the page (the split view's script has its own type)
            response["Content-Security-Policy"] = DOCS_CSP
        return response


# The readers load only our own files: Redoc's bundle would fetch its logo from its CDN.
DOCS_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; worker-src 'self' blob:; font-src 'self' data:; connect-src 'self'"
)


class RedocView(SpectacularRedocView):
    http_method_names = ["get", "head"]

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response["Content-Security-Policy"] = DOCS_CSP
        return response
