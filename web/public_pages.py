"""The bot's few public web pages: a landing page, the privacy statement and the terms.

The Teams app manifest links to them (developer.websiteUrl, privacyUrl, termsOfUseUrl), so they must exist
under PUBLIC_BASE_URL. Plain HTML, no templates: they change with the product, not per request.
"""

from __future__ import annotations

from html import escape

from aiohttp import web

from cards import texts
from cards.stored_data import NEVER_STORED, STORED_DATA

_STYLE = "body{font-family:Segoe UI,system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem;" \
         "line-height:1.5;color:#242424}h1{color:#354FC7}"


def _page(title: str, paragraphs: list[str]) -> web.Response:
    body = "".join(f"<p>{escape(paragraph)}</p>" for paragraph in paragraphs)
    html = (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{escape(title)}</title>"
            f"<style>{_STYLE}</style></head><body><h1>{escape(title)}</h1>{body}</body></html>")
    return web.Response(text=html, content_type="text/html")


async def home(_: web.Request) -> web.Response:
    return _page(texts.HOME_TITLE, list(texts.HOME))


async def privacy(_: web.Request) -> web.Response:
    return _page(texts.PRIVACY_STATEMENT_TITLE, [
        *texts.PRIVACY_STATEMENT_OPENING,
        *(texts.STORED_ITEM.format(what=what, kept=kept) for what, kept in STORED_DATA),
        NEVER_STORED,
        *texts.PRIVACY_STATEMENT_CLOSING,
    ])


async def terms(_: web.Request) -> web.Response:
    return _page(texts.TERMS_TITLE, list(texts.TERMS))


def add_public_pages(app: web.Application) -> None:
    app.router.add_get("/", home)
    app.router.add_get("/privacy", privacy)
    app.router.add_get("/terms", terms)
