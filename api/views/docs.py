"""The schema and its two readers. GET only: DRF's OPTIONS answer would go through the HTML
renderer of the readers, which has no template for it. Swagger UI's start-up script is served
from its own URL (the split view), so the page has no inline script."""

from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView


class SchemaView(SpectacularAPIView):
    http_method_names = ["get", "head"]


class SwaggerView(SpectacularSwaggerSplitView):
    http_method_names = ["get", "head"]


class RedocView(SpectacularRedocView):
    http_method_names = ["get", "head"]
