"""The bot's few public web pages: a landing page, the privacy statement and the terms.

The Teams app manifest links to them (developer.websiteUrl, privacyUrl, termsOfUseUrl), so they must exist
under PUBLIC_BASE_URL. Plain HTML, no templates: they change with the product, not per request.
"""

from __future__ import annotations

from html import escape

from aiohttp import web

from cards.stored_data import NEVER_STORED, STORED_DATA

_STYLE = "body{font-family:Segoe UI,system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem;" \
         "line-height:1.5;color:#242424}h1{color:#354FC7}"


def _page(title: str, paragraphs: list[str]) -> web.Response:
    body = "".join(f"<p>{escape(paragraph)}</p>" for paragraph in paragraphs)
    html = (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{escape(title)}</title>"
            f"<style>{_STYLE}</style></head><body><h1>{escape(title)}</h1>{body}</body></html>")
    return web.Response(text=html, content_type="text/html")


async def home(_: web.Request) -> web.Response:
    return _page("Rendezvous", [
        "Rendezvous is a Microsoft Teams bot that books meetings between colleagues on their Outlook calendars.",
        "Add it to Teams from your organization's app catalog, then type \"help\" in a chat with it.",
    ])


async def privacy(_: web.Request) -> web.Response:
    return _page("Rendezvous privacy statement", [
        "Rendezvous reads only free/busy information of the people you choose to meet, and reads back only "
        "the meetings it booked itself.",
        "It touches only the calendars of people who use it. Each organization's data is kept apart from every "
        "other organization's.",
        *(f"{what}: {kept}" for what, kept in STORED_DATA),
        NEVER_STORED,
        "The \"privacy\" command shows what is stored about you and every calendar look-up about you.",
        "An admin's \"disconnect\" command deletes the organization's tokens; yours deletes your own.",
    ])


async def terms(_: web.Request) -> web.Response:
    return _page("Rendezvous terms of use", [
        "Rendezvous is provided by your organization for booking meetings with colleagues. Use it only for "
        "meetings you are entitled to arrange. Your organization's policies on calendars and meetings apply.",
    ])


def add_public_pages(app: web.Application) -> None:
    app.router.add_get("/", home)
    app.router.add_get("/privacy", privacy)
    app.router.add_get("/terms", terms)
