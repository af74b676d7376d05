from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from storage.crypto import KEY_FILE_NAME, TokenCipher, TokenDecryptError, load_or_create_key


def test_encrypt_decrypt_round_trip_and_ciphertext_hides_plaintext() -> None:
    cipher = TokenCipher(Fernet.generate_key())
    secret = b'{"RefreshToken": {"secret": "rt-0123456789"}}'
    ciphertext = cipher.encrypt(secret)
    assert b"rt-0123456789" not in ciphertext
    assert cipher.decrypt(ciphertext) == secret


def test_wrong_key_raises_token_decrypt_error() -> None:
    ciphertext = TokenCipher(Fernet.generate_key()).encrypt(b"tokens")
    with pytest.raises(TokenDecryptError):
        TokenCipher(Fernet.generate_key()).decrypt(ciphertext)


def test_tampered_ciphertext_raises_token_decrypt_error() -> None:
    cipher = TokenCipher(Fernet.generate_key())
    ciphertext = bytearray(cipher.encrypt(b"tokens"))
    ciphertext[-5] ^= 0x01
    with pytest.raises(TokenDecryptError):
        cipher.decrypt(bytes(ciphertext))


def test_malformed_key_is_a_clear_value_error() -> None:
    with pytest.raises(ValueError, match="not a valid Fernet key"):
        TokenCipher(b"too-short")


def test_configured_key_is_used_and_no_file_written(tmp_path: Path) -> None:
    configured = Fernet.generate_key().decode()
    key, created = load_or_create_key(f"  {configured}\n", tmp_path)
    assert key == configured.encode()
    assert created is False
    assert not (tmp_path / KEY_FILE_NAME).exists()


def test_malformed_configured_key_names_the_setting_not_the_value(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="TOKEN_ENCRYPTION_KEY") as raised:
        load_or_create_key("not-a-key-XYZ", tmp_path)
    assert "not-a-key-XYZ" not in str(raised.value)


def test_key_file_generated_private_then_reused(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    key, created = load_or_create_key(None, data_dir)
    assert created is True
    key_file = data_dir / KEY_FILE_NAME
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    TokenCipher(key)  # usable

    again, created_again = load_or_create_key("", data_dir)
    assert (again, created_again) == (key, False)
    assert [p.name for p in data_dir.iterdir()] == [KEY_FILE_NAME]  # no temporary files left behind


def test_corrupt_key_file_is_a_clear_value_error(tmp_path: Path) -> None:
    (tmp_path / KEY_FILE_NAME).write_text("garbage")
    with pytest.raises(ValueError, match=KEY_FILE_NAME):
        load_or_create_key(None, tmp_path)
