"""The ``hybrid-hrm train`` subcommand (arguments shared with ``python -m hybrid_hrm.train``)."""

from __future__ import annotations

import argparse


def add_train_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("domain")
    p.add_argument("--out", default=None, help="run directory (default runs/<domain><size>)")
    p.add_argument("--minutes", type=float, default=None, help="training time budget")
    p.add_argument("--max-steps", type=int, default=None, help="stop after this many batches")
    p.add_argument("--resume", action="store_true", help="continue from the run directory's latest checkpoint")
    p.add_argument("--size", type=int, default=9, help="grid side: Sudoku 4, 9, 16; a maze N x N")
    p.add_argument("--source", default="auto", help="'auto', 'generate', a bundled collection or a file")
    p.add_argument("--train-puzzles", type=int, default=4000)
    p.add_argument(
        "--min-givens", type=int, default=0, help="generated puzzles keep at least this many givens (fast 16x16)"
    )
    p.add_argument("--eval-puzzles", type=int, default=256)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--segments", type=int, default=4)
    p.add_argument("--lr", type=float, default=None, help="default: the domain's preset (3e-3; mazes 3e-4)")
    p.add_argument("--warmup-steps", type=int, default=20)
    p.add_argument(
        "--lr-schedule", choices=["constant", "cosine"], default=None, help="default: the domain's preset"
    )
    p.add_argument(
        "--spike-factor", type=float, default=None, help="skip updates whose gradient norm is over this x the mean"
    )
    p.add_argument(
        "--validate-seconds", type=float, default=None, help="keep the best validated weights in best.safetensors"
    )
    p.add_argument("--init-from", default=None, help="start from these weights (fine-tuning, a smaller grid)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--checkpoint-seconds", type=float, default=120.0)
    p.add_argument("--checkpoint-steps", type=int, default=None, help="also checkpoint every N batches")
    p.add_argument("--hidden", type=int, default=None)
    p.add_argument("--heads", type=int, default=None)
    p.add_argument("--h-layers", type=int, default=None)
    p.add_argument("--l-layers", type=int, default=None)
    p.add_argument("--h-cycles", type=int, default=None)
    p.add_argument("--l-cycles", type=int, default=None)
    p.add_argument("--recursion", choices=["hrm", "trm"], default=None)
    p.add_argument("--positions", choices=["rope", "learned", "groups", "none"], default=None)
    p.add_argument(
        "--l-mixer", choices=["attention", "conv"], default=None, help="how L mixes tokens (conv: grid domains)"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def add_train_parser(sub) -> None:
    add_train_arguments(sub.add_parser("train", help="train a model on a domain"))


def cmd_train(args: argparse.Namespace) -> int:
    from .train import main_from_args

    if args.out is None:
        args.out = f"runs/{args.domain}{args.size}"
    return main_from_args(args)
