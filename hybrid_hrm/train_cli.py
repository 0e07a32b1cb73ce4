"""The ``hybrid-hrm train`` subcommand (parser and handler)."""

from __future__ import annotations

import argparse


def add_train_parser(sub) -> None:
    p = sub.add_parser("train", help="train a model on a domain")
    p.add_argument("domain")


def cmd_train(args: argparse.Namespace) -> int:
    from .train import main_from_args

    return main_from_args(args)
