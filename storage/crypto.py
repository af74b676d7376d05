"""Encryption at rest for token caches (they hold refresh tokens): Fernet, AES-128-CBC + HMAC-SHA256.

The key comes from TOKEN_ENCRYPTION_KEY, or else from a file in the data folder that is generated
on first run. Losing the key only costs users a fresh sign-in; it never exposes their tokens.
"""

from __future__ import annotations

import binascii
import logging
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

logger = logging.getLogger(__name__)

KEY_FILE_NAME = "token-encryption.key"
_KEY_HINT = (
    "expected 32 url-safe base64-encoded bytes, e.g. from "
    '`python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`'
)


class TokenDecryptError(Exception):
    """The ciphertext was made with another key, or was altered after encryption."""


def _fernet(key: bytes, source: str) -> Fernet:
    try:
        return Fernet(key)
    except (ValueError, binascii.Error) as exc:
        # The message names where the key came from, never the key itself.
        raise ValueError(f"{source} is not a valid Fernet key: {_KEY_HINT}") from exc


class TokenCipher:
    def __init__(self, key: bytes) -> None:
        self._fernet = _fernet(key, "the token encryption key")

    def encrypt(self, plaintext: bytes) -> bytes:
        return self._fernet.encrypt(plaintext)

    def decrypt(self, ciphertext: bytes) -> bytes:
        try:
            return self._fernet.decrypt(ciphertext)
        except InvalidToken as exc:
            raise TokenDecryptError(
                "stored token data cannot be decrypted: the encryption key changed or the data was altered"
            ) from exc


def _read_key_file(key_file: Path) -> bytes:
    key = key_file.read_bytes().strip()
    _fernet(key, f"the key file {key_file}")
    return key


def load_or_create_key(configured: str | None, data_dir: Path) -> tuple[bytes, bool]:
    """Returns (key, created). created=True means a new key file was written and the caller should warn.

    A configured key wins; otherwise `data_dir/token-encryption.key` is read, or created with mode 600.
    """
    if configured and configured.strip():
        key = configured.strip().encode("ascii", errors="replace")
        _fernet(key, "TOKEN_ENCRYPTION_KEY")
        return key, False

    key_file = data_dir / KEY_FILE_NAME
    if key_file.exists():
        return _read_key_file(key_file), False
    data_dir.mkdir(parents=True, exist_ok=True)
    new_key = Fernet.generate_key()
    # Written whole into a private temporary file, then linked into place: link() refuses to replace
    # an existing file, so when two processes start at once one key wins and nobody reads half a file.
    temporary = data_dir / f".{KEY_FILE_NAME}.{os.getpid()}.tmp"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(new_key + b"\n")
        os.chmod(temporary, 0o600)
        os.link(temporary, key_file)
    except FileExistsError:
        return _read_key_file(key_file), False
    finally:
        temporary.unlink(missing_ok=True)
    logger.info("generated a new token encryption key in %s", key_file)
    return new_key, True
