"""``hybrid-hrm bench train`` builds its models as training does and measures them."""

from __future__ import annotations

from hybrid_hrm.bench_train import CONFIGS, bench_trainer, forward_latency_ms, training_throughput


def test_both_configs_build_and_run_a_step(tmp_path):
    for name, (model_cfg, _batch) in CONFIGS.items():
        trainer = bench_trainer(model_cfg, 4, 1, 0, str(tmp_path / name))
        assert training_throughput(trainer, 1) > 0
        assert forward_latency_ms(trainer.model.eval(), 1, 2) > 0
    reference = bench_trainer(CONFIGS["reference"][0], 4, 1, 0, str(tmp_path / "r")).model.config
    assert (reference.hidden, reference.h_layers, reference.l_layers, reference.heads) == (128, 2, 2, 4)
    assert (reference.h_cycles, reference.l_cycles, reference.recursion) == (2, 2, "hrm")
