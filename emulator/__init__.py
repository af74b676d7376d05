"""A local stand-in for Entra ID and Microsoft Graph v1.0 (see emulator/README.md).

It never imports the bot's own packages: it plays Microsoft's part, so the bot's production code
(msal + httpx) talks to it with nothing changed but two base URLs and a trusted CA file.
"""
