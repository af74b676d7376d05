"""Every HTTP answer but /api/messages: what a browser, a probe or a load balancer asks for.

  GET  /healthz, /readyz           health.py: liveness and readiness
  POST /auth/signin, GET /auth/consent
                                   auth_routes.py: Entra ID's sign-in and admin-consent callbacks
  GET  /, /privacy, /terms         public_pages.py: the pages the Teams app manifest links to
and http_guard.py: the security headers on all of these, and the bounded JSON reading app.py's
/api/messages uses. app.py keeps the wiring and /api/messages (the Bot Framework's endpoint, botbuilder's
side); it calls `add_web_routes` once. web/ may use dialogs/, storage/, graph/ and cards/; dialogs/ never
imports web/ (tests/test_layering.py).
"""

from __future__ import annotations

from aiohttp import web

from dialogs.context import Services
from graph.msal_threads import MsalThreads
from web.auth_routes import add_auth_routes
from web.health import add_health_routes
from web.http_guard import add_security_headers
from web.public_pages import add_public_pages


def add_web_routes(app: web.Application, services: Services, msal_threads: MsalThreads) -> None:
    """Adds the health answers, the sign-in and consent callbacks and the public pages, with their headers."""
    add_health_routes(app, services, msal_threads)
    add_auth_routes(app, services)
    add_public_pages(app)
    add_security_headers(app)
