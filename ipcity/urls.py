from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from ipcity.quarters import QuarterConverter
from ipcity.views import favicon, healthz

admin.site.site_header = "知识产权强市建设示范城市工作平台"
admin.site.site_title = "工作平台管理"
admin.site.index_title = "系统管理"

register_converter(QuarterConverter, "quarter")

handler400 = "ipcity.errors.bad_request"
handler403 = "ipcity.errors.permission_denied"
handler404 = "ipcity.errors.page_not_found"
handler500 = "ipcity.errors.server_error"

# The apps' pages, at the root. Planimport's come before reporting's: /office/plans/import/ and
# /office/plans/drafts/… would otherwise be read as a plan's slug by the plan editor's /office/plans/<slug>/
# (planimport refuses those two words as a slug).
PAGES = (
    "dashboards.home_urls",
    "accounts.urls",
    "audit.urls",
    "notifications.urls",
    "planimport.urls",
    "reporting.urls",
    "assessment.urls",
    "supervision.urls",
)
# The apps whose API views live under /api/.
APIS = ("plans", "indicators", "progress", "assessment", "reporting", "supervision")

urlpatterns = [
    path("healthz/", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    *(path("", include(module)) for module in PAGES),
    # The leaders' pages and the exports share the `reports` namespace their URL names have always had.
    path("", include(([path("", include("dashboards.urls")), path("", include("exports.urls"))], "reports"))),
    *(path("api/", include(f"{app}.api_urls")) for app in APIS),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # A person opening the docs page without a session is sent to log in, like on every other page.
    path(
        "api/docs/", login_required(SpectacularSwaggerSplitView.as_view(url_name="schema")), name="api-docs"
    ),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
