import tarfile

import pytest

from bot.model.archive import (
    ModelMetadata,
    find_latest_model,
    read_archive_metadata,
    read_metadata,
    unpack_model,
    write_archive,
)
from bot.shared.errors import InvalidModel, ModelNotFound


def _archive(tmp_path, name="m.tar.gz"):
    staging = tmp_path / f"staging-{name}"
    (staging / "nlu").mkdir(parents=True)
    (staging / "nlu" / "x.txt").write_text("hello")
    meta = ModelMetadata(fingerprint={"nlu": "abc"}, parts=["nlu"], language="de")
    return write_archive(staging, meta, tmp_path / "models" / name)


def test_archive_round_trip(tmp_path):
    path = _archive(tmp_path)
    assert read_archive_metadata(path).fingerprint == {"nlu": "abc"}
    unpacked = unpack_model(path, cache_root=tmp_path / "cache")
    assert (unpacked / "nlu" / "x.txt").read_text() == "hello"
    assert read_metadata(unpacked).language == "de"
    # a second unpack reuses the cache
    assert unpack_model(path, cache_root=tmp_path / "cache") == unpacked


def test_latest_model_is_the_newest(tmp_path):
    import os
    import time

    first = _archive(tmp_path, "a.tar.gz")
    second = _archive(tmp_path, "b.tar.gz")
    os.utime(first, (time.time() + 10, time.time() + 10))
    assert find_latest_model(tmp_path / "models") == first
    assert find_latest_model(second) == second


def test_missing_and_damaged_models_get_clear_errors(tmp_path):
    with pytest.raises(ModelNotFound, match="bot train"):
        find_latest_model(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelNotFound, match="no trained model"):
        find_latest_model(tmp_path / "empty")
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(b"not a tarball")
    with pytest.raises(InvalidModel, match="damaged"):
        unpack_model(broken, cache_root=tmp_path / "cache")
    foreign = tmp_path / "foreign.tar.gz"
    with tarfile.open(foreign, "w:gz") as tar:
        tar.add(tmp_path / "empty", arcname="empty")
    with pytest.raises(InvalidModel, match="not a model archive"):
        unpack_model(foreign, cache_root=tmp_path / "cache")


def test_a_new_model_format_changes_the_fingerprints(tmp_path, monkeypatch):
    """Archives written in an older format are retrained by `bot train`, not reused."""
    from bot.model import training
    from bot.shared.project import Project

    (tmp_path / "config.yml").write_text("language: en\npipeline: []\npolicies: []\n")
    (tmp_path / "domain.yml").write_text('version: "3.1"\nintents: [greet]\n')
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "nlu.yml").write_text('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - hi\n')
    project = Project.discover(tmp_path)
    before = (training.nlu_fingerprint(project), training.core_fingerprint(project))
    monkeypatch.setattr(training, "MODEL_FORMAT", training.MODEL_FORMAT + 1)
    after = (training.nlu_fingerprint(project), training.core_fingerprint(project))
    assert before[0] != after[0] and before[1] != after[1]
