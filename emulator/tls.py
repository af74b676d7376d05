"""Certificates for the emulator's HTTPS listener.

MSAL refuses any authority that is not https, so the emulator serves TLS with a throw-away CA made
by trustme. The files are kept in a folder and reused, so a bot started earlier (which trusts
`ca.pem`) keeps working across emulator restarts.
"""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass
from pathlib import Path

import trustme

log = logging.getLogger(__name__)

DEFAULT_FOLDER = Path("data/emulator")
SERVER_NAMES = ("localhost", "127.0.0.1")


@dataclass(frozen=True)
class TlsFiles:
    ca_file: Path
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(self.cert_file), str(self.key_file))
        return context


def ensure_certificates(folder: Path | str = DEFAULT_FOLDER) -> TlsFiles:
    """Returns the CA and server certificate in `folder`, creating them on first use."""
    folder = Path(folder)
    files = TlsFiles(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    if all(path.is_file() for path in (files.ca_file, files.cert_file, files.key_file)):
        return files
    folder.mkdir(parents=True, exist_ok=True)
    authority = trustme.CA(organization_name="Rendezvous emulator CA")
    leaf = authority.issue_cert(*SERVER_NAMES)
    authority.cert_pem.write_to_path(str(files.ca_file))
    # server.pem holds the leaf followed by the chain, the order load_cert_chain expects
    with files.cert_file.open("wb") as out:
        for blob in leaf.cert_chain_pems:
            out.write(blob.bytes())
    leaf.private_key_pem.write_to_path(str(files.key_file))
    files.key_file.chmod(0o600)
    log.info("created emulator certificates in %s", folder)
    return files
