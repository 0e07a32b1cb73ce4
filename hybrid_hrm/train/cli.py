"""``hybrid-hrm train`` and ``python -m hybrid_hrm.train``: options derived from :class:`TrainConfig`.

Every field of :class:`~hybrid_hrm.train.config.TrainConfig` is an option
(its metadata holds the help text), and so is each model field in
:data:`MODEL_OPTIONS`: a new training option is written once, in the config.

>>> import argparse
>>> p = argparse.ArgumentParser()
>>> add_train_arguments(p)
>>> config_from_args(p.parse_args(["sudoku", "--max-steps", "3", "--hidden", "32"])).model
{'hidden': 32}
"""

from __future__ import annotations

import argparse
import json
import sys
import typing
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any

from ..model.options import L_MIXERS, POSITIONS, RECURSIONS
from .config import TrainConfig

#: Model fields offered as training options: (field, type, choices, help).
MODEL_OPTIONS: tuple[tuple[str, type, tuple[str, ...] | None, str], ...] = (
    ("hidden", int, None, "model width"),
    ("heads", int, None, "attention heads"),
    ("h_layers", int, None, "layers of H"),
    ("l_layers", int, None, "layers of L"),
    ("h_cycles", int, None, "H steps per segment"),
    ("l_cycles", int, None, "L steps per H step"),
    ("recursion", str, RECURSIONS, "HRM one-step gradient or TRM recursion"),
    ("positions", str, POSITIONS, "position encoding"),
    ("l_mixer", str, L_MIXERS, "how L mixes tokens (conv: grid domains)"),
)


def _base_type(hint: Any) -> type:
    """``int | None`` -> ``int``."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    return args[0] if args else hint


def add_train_arguments(p: argparse.ArgumentParser) -> None:
    """The training options: one per :class:`TrainConfig` field, the model fields, and the run's own."""
    hints = typing.get_type_hints(TrainConfig)
    for f in fields(TrainConfig):
        if f.name == "model":
            continue
        if f.metadata.get("positional"):
            p.add_argument(f.name, help=f.metadata["help"])
            continue
        default = None if f.default is MISSING else f.default
        preset = " (default: the domain's preset)" if f.name in _PRESET_FIELDS else ""
        p.add_argument(
            "--" + f.name.replace("_", "-"),
            type=_base_type(hints[f.name]),
            default=default,
            choices=f.metadata.get("choices"),
            help=f.metadata["help"] + preset,
        )
    for name, kind, choices, text in MODEL_OPTIONS:
        p.add_argument("--" + name.replace("_", "-"), type=kind, choices=choices, default=None,
                       help=f"{text} (default: the domain's preset)")
    p.add_argument("--out", default=None, help="run directory (default: runs/<domain><size>)")
    p.add_argument("--resume", action="store_true", help="continue from the run directory's latest checkpoint")
    p.add_argument("--force", action="store_true", help="replace the run an existing --out directory holds")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


_PRESET_FIELDS = ("lr", "lr_schedule", "spike_factor", "validate_seconds")


def add_train_parser(sub: Any) -> None:
    """``hybrid-hrm train`` under the main parser's subcommands."""
    add_train_arguments(sub.add_parser("train", help="train a model on a domain"))


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The :class:`TrainConfig` the parsed options describe."""
    values = vars(args)
    model = {name: values[name] for name, *_ in MODEL_OPTIONS if values.get(name) is not None}
    config = {f.name: values[f.name] for f in fields(TrainConfig) if f.name != "model" and f.name in values}
    return TrainConfig(**config, model=model)


def cmd_train(args: argparse.Namespace) -> int:
    """The ``hybrid-hrm train`` command."""
    if args.out is None:
        args.out = f"runs/{args.domain}{args.size}"
    return main_from_args(args)


def main_from_args(args: argparse.Namespace) -> int:
    """Train as the options say, print the held-out figures, write ``result.json``."""
    from .. import distributed as dist_utils
    from .trainer import Trainer

    config = config_from_args(args)
    trainer = Trainer(config, args.out, resume=args.resume, progress=not args.quiet, force=args.force)
    result = trainer.run()
    if result.get("interrupted"):
        if trainer.info.is_main:
            print(
                f"interrupted ({result['interrupted']}) after step {result['steps']}: checkpoint saved in "
                f"{args.out}/checkpoints; add --resume to the same command to continue from step {result['steps']}",
                file=sys.stderr,
            )
        dist_utils.teardown(trainer.info)
        return 130 if result["interrupted"] == "SIGINT" else 143
    if trainer.info.is_main:
        ev = result["eval"]
        cells = (
            f"cell accuracy on cells undecided after propagation {ev['cell_acc']:.3f} "
            f"(uniform guess {ev['uniform_acc']:.3f})"
            if ev["undecided_cells"]
            else "propagation decides every cell"
        )
        print(
            f"final eval on {ev['puzzles']} held-out puzzles: network alone exact {ev['neural_exact']:.3f}, {cells}; "
            f"{result['steps']} steps in {result['seconds'] / 60:.1f} min; model: {args.out}/model.safetensors"
        )
        if "best" in result:
            best = result["best"]
            cell = f", cell accuracy {best['eval']['cell_acc']:.3f}" if best["eval"]["undecided_cells"] else ""
            print(
                f"best validated weights ({best['which']}, step {best['step']}): held-out network alone exact "
                f"{best['eval']['neural_exact']:.3f}{cell}; model: {args.out}/best.safetensors"
            )
        summary = {k: v for k, v in result.items() if k != "history"}
        (Path(args.out) / "result.json").write_text(json.dumps(summary, indent=1))
    dist_utils.teardown(trainer.info)
    return 0
