"""``torchrun --nproc_per_node=K -m hybrid_hrm.train sudoku ...`` (the same options as ``hybrid-hrm train``)."""

from __future__ import annotations

import argparse

from .cli import add_train_arguments, main_from_args

parser = argparse.ArgumentParser(prog="python -m hybrid_hrm.train")
add_train_arguments(parser)
args = parser.parse_args()
if args.out is None:
    args.out = f"runs/{args.domain}{args.size}"
raise SystemExit(main_from_args(args))
