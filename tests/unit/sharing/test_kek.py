"""The local key file: created private, refused when not, and rotatable."""

import json
import os
import stat
import threading
from pathlib import Path

import pytest

from services.sharing.errors import KekError, KeyFileError
from services.sharing.kek import LocalKeyFileProvider
from services.sharing.secret_files import read_or_create_private_file

DATA_KEY = bytes(range(32))


def mode_of(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_nothing_is_written_until_first_use(tmp_path: Path) -> None:
    provider = LocalKeyFileProvider(tmp_path / "kek.json")
    assert not (tmp_path / "kek.json").exists()
    assert provider.current_key_id == "local-1"
    assert (tmp_path / "kek.json").exists()


def test_the_key_file_is_created_owner_only_even_with_a_permissive_umask(tmp_path: Path) -> None:
    previous = os.umask(0)
    try:
        provider = LocalKeyFileProvider(tmp_path / "keys" / "kek.json")
        provider.wrap(DATA_KEY)
    finally:
        os.umask(previous)
    assert mode_of(tmp_path / "keys" / "kek.json") == 0o600
    assert [p.name for p in (tmp_path / "keys").iterdir()] == ["kek.json"]  # no temporary left


def test_the_file_holds_one_32_byte_key(tmp_path: Path) -> None:
    LocalKeyFileProvider(tmp_path / "kek.json").wrap(DATA_KEY)
    document = json.loads((tmp_path / "kek.json").read_text())
    assert document["format"] == "tandem-local-kek/v1"
    assert document["current"] == "local-1"
    assert list(document["keys"]) == ["local-1"]
    assert len(document["keys"]["local-1"]) == 44  # base64 of 32 bytes


def test_wrap_then_unwrap(kek: LocalKeyFileProvider) -> None:
    key_id, wrapped = kek.wrap(DATA_KEY)
    assert key_id == "local-1"
    assert DATA_KEY not in wrapped
    assert len(wrapped) == 12 + 32 + 16  # nonce, key, tag
    assert kek.unwrap(wrapped, key_id) == DATA_KEY


def test_a_second_provider_on_the_same_file_uses_the_same_keys(tmp_path: Path) -> None:
    key_id, wrapped = LocalKeyFileProvider(tmp_path / "kek.json").wrap(DATA_KEY)
    assert LocalKeyFileProvider(tmp_path / "kek.json").unwrap(wrapped, key_id) == DATA_KEY


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o644, 0o620])
def test_a_file_other_users_can_access_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "kek.json"
    LocalKeyFileProvider(path).wrap(DATA_KEY)
    os.chmod(path, mode)
    with pytest.raises(KeyFileError) as raised:
        LocalKeyFileProvider(path).wrap(DATA_KEY)
    message = str(raised.value)
    assert str(path) in message
    assert f"chmod 600 {path}" in message


def test_a_malformed_key_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "kek.json"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(descriptor, b'{"format": "tandem-local-kek/v1", "current": "a", "keys": {}}')
    os.close(descriptor)
    with pytest.raises(KeyFileError, match="current key 'a' is not in the ring"):
        LocalKeyFileProvider(path).wrap(DATA_KEY)


def test_rotation_adds_a_current_key_and_keeps_the_old_one(tmp_path: Path) -> None:
    path = tmp_path / "kek.json"
    provider = LocalKeyFileProvider(path)
    old_id, old_wrapped = provider.wrap(DATA_KEY)
    assert provider.rotate() == "local-2"
    assert provider.current_key_id == "local-2"
    assert provider.key_ids == ["local-1", "local-2"]
    new_id, new_wrapped = provider.wrap(DATA_KEY)
    assert new_id == "local-2"
    assert provider.unwrap(old_wrapped, old_id) == DATA_KEY
    assert provider.unwrap(new_wrapped, new_id) == DATA_KEY
    assert mode_of(path) == 0o600
    assert json.loads(path.read_text())["current"] == "local-2"


def test_a_provider_sees_a_rotation_made_by_another_process(tmp_path: Path) -> None:
    path = tmp_path / "kek.json"
    reader = LocalKeyFileProvider(path)
    reader.wrap(DATA_KEY)
    writer = LocalKeyFileProvider(path)
    writer.rotate()
    key_id, wrapped = writer.wrap(DATA_KEY)
    assert reader.unwrap(wrapped, key_id) == DATA_KEY


def test_unwrapping_under_the_wrong_key_id_fails(kek: LocalKeyFileProvider) -> None:
    _, wrapped = kek.wrap(DATA_KEY)
    kek.rotate()
    with pytest.raises(KekError, match="failed to unwrap"):
        kek.unwrap(wrapped, "local-2")
    with pytest.raises(KekError, match="'local-9' is not in"):
        kek.unwrap(wrapped, "local-9")


def test_a_tampered_wrapped_key_fails(kek: LocalKeyFileProvider) -> None:
    key_id, wrapped = kek.wrap(DATA_KEY)
    tampered = bytearray(wrapped)
    tampered[20] ^= 0x01
    with pytest.raises(KekError):
        kek.unwrap(bytes(tampered), key_id)


def test_racing_creators_agree_on_one_file(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    barrier = threading.Barrier(8)
    results: list[bytes] = []

    def create(number: int) -> None:
        def content() -> bytes:
            barrier.wait(timeout=5)
            return f"writer {number}".encode()

        results.append(read_or_create_private_file(path, content))

    threads = [threading.Thread(target=create, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8
    assert len(set(results)) == 1
    assert results[0] == path.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret"]
