"""Deployment helpers: the Entra app registration's manifest (`entra-app-manifest.json`) and `python -m deploy.entra`,
which fills in the bot's public URL (docs/DEPLOY.md)."""
