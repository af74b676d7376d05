"""Liveness and readiness answers for probes and load balancers.

GET /healthz  liveness: 200 while the process serves, without touching the database
GET /readyz   readiness: 200 only when the database answers, 503 otherwise
Both name the organizations Entra ID is not answering for, if any (graph/msal_threads.py keeps that list).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from dialogs.context import Services
from graph.msal_threads import MsalThreads


class HealthAnswers:
    def __init__(self, services: Services, msal_threads: MsalThreads) -> None:
        self.services = services
        self.msal_threads = msal_threads

    def _entra_report(self) -> dict[str, Any]:
        unanswered = self.msal_threads.unanswered_tenants()
        return {"entra_unanswered_tenants": unanswered} if unanswered else {}

    async def healthz(self, _: web.Request) -> web.Response:
        """Liveness: 200 while the process serves requests, without touching the database, so a probe that
        restarts unhealthy instances never restarts them all for a database outage that a restart cannot fix.
        Entra ID not answering for some organizations is reported in the body but stays 200, for the same reason."""
        return web.json_response({"status": "ok", **self._entra_report()})

    async def readyz(self, _: web.Request) -> web.Response:
        """Readiness: 200 only when the database answers (every turn needs it), so a load balancer sends turns
        elsewhere while it does not."""
        if await self.services.db.ping():
            return web.json_response({"status": "ready", **self._entra_report()})
        return web.json_response({"status": "database unavailable", **self._entra_report()}, status=503)


def add_health_routes(app: web.Application, services: Services, msal_threads: MsalThreads) -> None:
    answers = HealthAnswers(services, msal_threads)
    app.router.add_get("/healthz", answers.healthz)
    app.router.add_get("/readyz", answers.readyz)
