"""WSGI entry point of the test bed's NetBox: NetBox itself plus its static files.

gunicorn serves no /static/ and NetBox with DEBUG off does not either, so without
this the UI loads unstyled. Files come from STATIC_ROOT, which `collectstatic`
filled when the test bed came up. Loaded by gunicorn inside the NetBox venv.
"""

from django.conf import settings
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.views.static import serve
from netbox.wsgi import application as netbox_application


class CollectedStaticHandler(StaticFilesHandler):
    """Serves STATIC_URL from STATIC_ROOT; every other path goes to NetBox."""

    def serve(self, request):
        return serve(request, self.file_path(request.path), document_root=settings.STATIC_ROOT)


application = CollectedStaticHandler(netbox_application)
