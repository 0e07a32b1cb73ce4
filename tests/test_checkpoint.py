"""Checkpoints: bit-exact round trip, and every kind of bad file is a CheckpointError."""

from __future__ import annotations

import json

import pytest
import torch

from hybrid_hrm.checkpoint import load_model, save_model
from hybrid_hrm.model import HRM, HRMConfig
from solvers.errors import CheckpointError


@pytest.fixture()
def saved(tmp_path):
    torch.manual_seed(1)
    model = HRM(HRMConfig(num_variables=16, num_values=4, hidden=32, heads=2, domain="sudoku"))
    path = save_model(model, tmp_path / "m.safetensors", {"step": 7})
    return model, path


@pytest.mark.parametrize("recursion", ["hrm", "trm"])
def test_round_trip_is_bit_exact(tmp_path, recursion):
    torch.manual_seed(2)
    model = HRM(HRMConfig(num_variables=16, num_values=4, hidden=32, heads=2, recursion=recursion))
    path = save_model(model, tmp_path / "m.safetensors")
    loaded, _ = load_model(path)
    for (name, a), (_, b) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert torch.equal(a, b), name
    tokens, cand = torch.ones(2, 16, dtype=torch.long), torch.ones(2, 16, 4, dtype=torch.bool)
    assert torch.equal(model(tokens, cand)[0].logits, loaded(tokens, cand)[0].logits)


def test_truncated_weights(saved):
    _, path = saved
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="checksum|corrupt"):
        load_model(path)


def test_garbage_weights_without_checksum(saved):
    _, path = saved
    side = json.loads(path.with_suffix(".json").read_text())
    side.pop("sha256")
    side.pop("config_sha256")
    path.with_suffix(".json").write_text(json.dumps(side))
    path.write_bytes(b"\x00garbage" * 100)
    with pytest.raises(CheckpointError, match="corrupt weights"):
        load_model(path)


def test_corrupt_or_missing_sidecar(saved):
    _, path = saved
    path.with_suffix(".json").write_text("{not json")
    with pytest.raises(CheckpointError, match="corrupt config"):
        load_model(path)
    path.with_suffix(".json").unlink()
    with pytest.raises(CheckpointError, match="missing config"):
        load_model(path)


def test_wrong_shape_and_unknown_keys(saved):
    _, path = saved
    side = json.loads(path.with_suffix(".json").read_text())
    side["config"]["hidden"] = 64
    side.pop("sha256")
    side.pop("config_sha256")  # an edit that also drops the config checksum reaches the shape check
    path.with_suffix(".json").write_text(json.dumps(side))
    with pytest.raises(CheckpointError, match=r"tensor \S+ has shape .* the config needs"):
        load_model(path)
    side["config"]["evil"] = "os.system"
    path.with_suffix(".json").write_text(json.dumps(side))
    with pytest.raises(CheckpointError, match="unknown model config keys"):
        load_model(path)


def test_wrong_domain_and_missing_file(saved, tmp_path):
    _, path = saved
    with pytest.raises(CheckpointError, match="trained on domain 'sudoku'"):
        load_model(path, domain="maze")
    with pytest.raises(CheckpointError, match="no weights file"):
        load_model(tmp_path / "nothing.safetensors")


def test_save_to_unwritable_place_is_a_checkpoint_error(saved, tmp_path):
    model, _ = saved
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(CheckpointError, match="cannot write"):
        save_model(model, blocker / "sub" / "m.safetensors")


def test_full_disk_keeps_the_previous_checkpoint(saved, tmp_path, monkeypatch):
    import errno

    from hybrid_hrm import checkpoint as ckpt

    model, _ = saved
    run = tmp_path / "run"
    ckpt.save_training_checkpoint(run, 1, model, model, {"step": 1}, {"step": 1})

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ckpt.torch, "save", no_space)
    with pytest.raises(CheckpointError, match="No space left on device"):
        ckpt.save_training_checkpoint(run, 2, model, model, {"step": 2}, {"step": 2})
    assert (run / "checkpoints" / "latest").read_text() == "step-00000001"
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["latest", "step-00000001"]
    loaded, _ = load_model(run / "checkpoints" / "step-00000001" / "model.safetensors")
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), loaded.state_dict().values()))
