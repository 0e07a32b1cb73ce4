"""The training engine: deep supervision with the symbolic layer in the loop.

* :mod:`.config`: :class:`TrainConfig` (every option, with its help), the CPU
  model preset, the model a run trains;
* :mod:`.step`: one batch, segment by segment (losses, the symbolic layer
  between segments, ACT halting, gradient-spike skipping);
* :mod:`.trainer`: :class:`Trainer`, a whole run (data, checkpoints and
  resume, validation, torchrun DDP);
* :mod:`.evaluate`: held-out metrics;
* :mod:`.cli`: ``hybrid-hrm train`` / ``python -m hybrid_hrm.train``.

Names load on first use, so the command line reads the options without torch.
"""

from __future__ import annotations

from ..lazy import lazy_exports

#: Public names and the submodule each lives in.
_EXPORTS = {
    "DEFAULT_LR": "config",
    "DEFAULT_MODEL": "config",
    "TrainConfig": "config",
    "group_membership": "config",
    "model_config_for": "config",
    "evaluate": "evaluate",
    "Trainer": "trainer",
    "load_puzzles": "trainer",
}


__getattr__ = lazy_exports({name: f"hybrid_hrm.train.{module}" for name, module in _EXPORTS.items()})


__all__ = list(_EXPORTS)
