"""Safe checkpoints: safetensors weights, a JSON sidecar, a weights-only resume file.

Loading never unpickles arbitrary objects: weights come from safetensors,
configuration from JSON, and the resume state (optimizer, step) through
``torch.load(weights_only=True)``.  Every problem (missing, truncated,
corrupted, wrong shape, wrong domain) is a :class:`CheckpointError` that
names it.  Saving is atomic: files are written under a temporary name and
renamed, and a training checkpoint directory is published by renaming it
and then pointing ``latest`` at it, so a kill mid-save leaves the previous
checkpoint intact.

Layout of a model: ``NAME.safetensors`` + ``NAME.json`` (config, metadata,
the SHA-256 of the weights, so a mismatched pair is caught, and the SHA-256
of the config's canonical JSON, ``config_sha256``, so an edited config is
caught before it builds a network; sidecars without it load as before).

Two kinds of model are stored: the HRM (``"kind": "hrm"``, the default of
sidecars written before kinds existed) and the size-free maze reasoner
(``"kind": "reasoner"``, :mod:`hybrid_hrm.model.reasoner`).  The kind is
looked up in the fixed table :data:`KINDS`; no class is ever loaded from a
name in the file, and the reasoner's config repeats its kind (covered by
``config_sha256``), so an edited kind is caught too.

>>> import tempfile, pathlib
>>> from hybrid_hrm.model import HRM, HRMConfig
>>> model = HRM(HRMConfig(num_variables=16, num_values=4, hidden=32, heads=2))
>>> path = save_model(model, pathlib.Path(tempfile.mkdtemp()) / "m.safetensors", {"step": 3})
>>> loaded, meta = load_model(path)
>>> meta["step"], loaded.config == model.config
(3, True)
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from solvers.errors import CheckpointError, ConfigError

from .model import HRM, HRMConfig

FORMAT = "hybrid_hrm.checkpoint/1"


def _reasoner_classes() -> tuple[type, type]:
    from .model.reasoner import Reasoner, ReasonerConfig

    return Reasoner, ReasonerConfig


#: Model kinds a sidecar may name -> a function giving ``(model class, config class)``.
KINDS = {"hrm": lambda: (HRM, HRMConfig), "reasoner": _reasoner_classes}


def model_kind(model: Any) -> str:
    """The sidecar kind of a model: ``"reasoner"`` for the size-free reasoner, else ``"hrm"``."""
    return model.config.kind


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def config_sha256(config: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a model config (sorted keys, no spaces, ASCII).

    What ``config_sha256`` in a sidecar holds: the same dict always gives the same digest,
    and any edited value, added or removed key changes it.

    >>> config_sha256({"b": 1, "a": 2.0}) == config_sha256({"a": 2.0, "b": 1})
    True
    """
    try:
        text = json.dumps(config, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    except (TypeError, ValueError) as exc:  # NaN, infinity or a non-JSON value
        raise CheckpointError(f"model config is not plain JSON: {exc}") from None
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def save_model(model: HRM, path: str | Path, meta: dict[str, Any] | None = None) -> Path:
    """Write ``path`` (.safetensors) and its ``.json`` sidecar atomically."""
    path = Path(path).with_suffix(".safetensors")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().contiguous().cpu() for k, v in _unshared_state(model).items()}
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        save_file(state, str(tmp))
        digest = _sha256(tmp)
        os.replace(tmp, path)
        config = model.config.to_dict()
        sidecar = {
            "format": FORMAT,
            "kind": model_kind(model),
            "config": config,
            "config_sha256": config_sha256(config),
            "sha256": digest,
            "meta": meta or {},
        }
        _atomic_write_bytes(path.with_suffix(".json"), json.dumps(sidecar, indent=1).encode())
    except OSError as exc:
        raise CheckpointError(f"cannot write checkpoint {path}: {exc.strerror or exc}") from None
    return path


def _unshared_state(model: HRM) -> dict[str, torch.Tensor]:
    """State dict without the duplicate names of shared modules (TRM's H is L)."""
    state = model.state_dict()
    if model.config.shares_h_and_l:
        state = {k: v for k, v in state.items() if not k.startswith("H.")}
    return state


def read_sidecar(path: str | Path) -> dict[str, Any]:
    """The JSON sidecar of a model file, validated."""
    path = Path(path)
    sidecar_path = path.with_suffix(".json")
    if not sidecar_path.is_file():
        raise CheckpointError(f"missing config file {sidecar_path}")
    try:
        sidecar = json.loads(sidecar_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"corrupt config file {sidecar_path}: {exc}") from None
    if not isinstance(sidecar, dict) or sidecar.get("format") != FORMAT:
        raise CheckpointError(f"{sidecar_path} is not a {FORMAT} config")
    if not isinstance(sidecar.get("config"), dict):
        raise CheckpointError(f"{sidecar_path} has no model config")
    return sidecar


def load_model(
    path: str | Path, *, device: str | torch.device = "cpu", domain: str | None = None
) -> tuple[HRM, dict[str, Any]]:
    """Load a model saved by :func:`save_model`; returns ``(model, meta)``.

    ``domain``: refuse a model trained on another domain.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "model.safetensors"
    path = path.with_suffix(".safetensors")
    if not path.is_file():
        raise CheckpointError(f"no weights file {path}")
    sidecar = read_sidecar(path)
    kind = sidecar.get("kind", "hrm")
    if not isinstance(kind, str) or kind not in KINDS:
        raise CheckpointError(
            f"{path.with_suffix('.json')} names an unknown model kind {kind!r}; known: {', '.join(KINDS)}"
        )
    model_class, config_class = KINDS[kind]()
    try:  # validation only (every size bounded): nothing is built before the digest is checked
        config = config_class.from_dict(sidecar["config"])
    except (ConfigError, TypeError) as exc:
        raise CheckpointError(f"invalid model config in {path.with_suffix('.json')}: {exc}") from None
    _check_config_digest(sidecar, path.with_suffix(".json"))
    if domain is not None and config.domain and config.domain != domain:
        raise CheckpointError(f"{path} was trained on domain {config.domain!r}, not {domain!r}")
    if sidecar.get("sha256") and sidecar["sha256"] != _sha256(path):
        raise CheckpointError(f"{path} does not match its config (checksum differs): truncated or replaced")
    try:
        state = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"corrupt weights file {path}: {exc}") from None
    model = model_class(config)
    _load_state(model, state, path)
    return model.to(device), sidecar.get("meta", {})


def _check_config_digest(sidecar: dict[str, Any], where: Path) -> None:
    """Refuse a sidecar whose config no longer matches its ``config_sha256`` (when it has one).

    Checked after the config is validated (an out-of-bounds edit gets the message naming its
    bound) and before it builds anything: an edit within bounds must not reach the network either.
    """
    expected = sidecar.get("config_sha256")
    if expected is None:
        return  # saved before configs were checksummed
    if not isinstance(expected, str) or expected != config_sha256(sidecar["config"]):
        raise CheckpointError(
            f"the model config in {where} was edited after saving (config_sha256 differs): "
            "restore the saved config, or save the model again with the config you want"
        )


def _load_state(model: HRM, state: dict[str, torch.Tensor], where: Path | str) -> None:
    expected = _unshared_state(model)
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        raise CheckpointError(f"{where}: missing tensors {missing[:3]}, unexpected {unexpected[:3]}")
    for name, tensor in state.items():
        if tensor.shape != expected[name].shape:
            raise CheckpointError(
                f"{where}: tensor {name} has shape {tuple(tensor.shape)}, "
                f"the config needs {tuple(expected[name].shape)}"
            )
        if not torch.isfinite(tensor).all():
            raise CheckpointError(f"{where}: tensor {name} holds NaN or infinite values")
    model.load_state_dict(state, strict=False)


# ----------------------------------------------------------- training checkpoints
def save_training_checkpoint(
    run_dir: str | Path,
    step: int,
    model: HRM,
    inference_model: HRM,
    resume: dict[str, Any],
    meta: dict[str, Any],
    keep: int = 2,
) -> Path:
    """Publish ``run_dir/checkpoints/step-N`` atomically and point ``latest`` at it.

    ``model``: the raw weights (resumed from); ``inference_model``: what
    ``model.safetensors`` holds (the EMA in TRM mode, else the same model).
    """
    run_dir = Path(run_dir)
    ckpt_root = run_dir / "checkpoints"
    name = f"step-{step:08d}"
    tmp = ckpt_root / f".{name}.tmp-{os.getpid()}"
    try:
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True)
        save_model(inference_model, tmp / "model.safetensors", meta)
        save_file(
            {k: v.detach().contiguous().cpu() for k, v in _unshared_state(model).items()}, str(tmp / "raw.safetensors")
        )
        torch.save(resume, tmp / "resume.pt")
        final = ckpt_root / name
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
        _atomic_write_bytes(ckpt_root / "latest", name.encode())
        # The run's inference model, next to the checkpoints (what from_pretrained takes).
        save_model(inference_model, run_dir / "model.safetensors", meta)
        _rotate(ckpt_root, final, keep)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)  # a full disk must not leave half a checkpoint behind
        raise CheckpointError(f"cannot write checkpoint in {run_dir}: {exc.strerror or exc}") from None
    return final


def _rotate(ckpt_root: Path, newest: Path, keep: int) -> None:
    """Keep ``newest`` (what ``latest`` names) and the ``keep - 1`` checkpoints just before it."""
    older = sorted(p for p in ckpt_root.glob("step-*") if p.is_dir() and p.name < newest.name)
    stale = [p for p in ckpt_root.glob("step-*") if p.is_dir() and p.name > newest.name]  # another run's
    for old in older[: max(len(older) - (keep - 1), 0)] + stale:
        shutil.rmtree(old, ignore_errors=True)


def latest_checkpoint(run_dir: str | Path) -> Path | None:
    """The directory ``latest`` points at, or ``None`` for a fresh run."""
    pointer = Path(run_dir) / "checkpoints" / "latest"
    if not pointer.is_file():
        return None
    target = pointer.parent / pointer.read_text().strip()
    if not target.is_dir():
        raise CheckpointError(f"{pointer} points at a missing checkpoint {target.name}")
    return target


def load_training_checkpoint(ckpt_dir: str | Path, model: HRM) -> dict[str, Any]:
    """Load raw weights into ``model`` and return the resume dict (weights-only load)."""
    ckpt_dir = Path(ckpt_dir)
    raw = ckpt_dir / "raw.safetensors"
    try:
        state = load_file(str(raw))
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"corrupt or missing weights {raw}: {exc}") from None
    _load_state(model, state, raw)
    try:
        return torch.load(ckpt_dir / "resume.pt", map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a bad file; all mean "corrupt"
        raise CheckpointError(f"corrupt resume file {ckpt_dir / 'resume.pt'}: {type(exc).__name__}: {exc}") from None
