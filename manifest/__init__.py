"""The Teams app package: manifest template, icons, build and offline validation (see README.md)."""
