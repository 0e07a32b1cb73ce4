"""The HRM: shapes, masking, where gradients flow, device choice."""

from __future__ import annotations

import pytest
import torch

from hybrid_hrm.model import HRM, MASKED_LOGIT, HRMConfig, resolve_device
from solvers.errors import ConfigError


def tiny(**kw) -> HRM:
    torch.manual_seed(0)
    return HRM(HRMConfig(num_variables=16, num_values=4, hidden=32, heads=2, **kw))


def inputs(batch: int = 3):
    tokens = torch.randint(1, 6, (batch, 16))
    cand = torch.rand(batch, 16, 4) > 0.3
    cand[..., 0] = True  # at least one candidate each
    return tokens, cand


def test_shapes_and_state_are_detached():
    model = tiny()
    tokens, cand = inputs()
    out, state = model(tokens, cand)
    assert out.logits.shape == (3, 16, 4) and out.proposal.shape == (3, 16) and out.q_halt.shape == (3,)
    assert state.z_H.shape == (3, 16, 32) and not state.z_H.requires_grad and not state.z_L.requires_grad
    out2, _ = model(tokens, cand, state)  # the state carries over
    assert not torch.allclose(out.logits, out2.logits)


def test_candidates_mask_the_output():
    model = tiny()
    tokens, cand = inputs()
    out, _ = model(tokens, cand)
    probs = torch.softmax(out.logits, -1)
    assert (probs[~cand] == 0).all()
    assert (out.logits[~cand] == MASKED_LOGIT).all()
    assert torch.allclose(probs.sum(-1), torch.ones(3, 16))


def _grad_flags(model: HRM, recursion_calls):
    flags = {"L": [], "H": []}
    model.L.register_forward_hook(lambda m, i, o: flags["L"].append(torch.is_grad_enabled()))
    if model.H is not model.L:
        model.H.register_forward_hook(lambda m, i, o: flags["H"].append(torch.is_grad_enabled()))
    tokens, cand = inputs()
    model(tokens, cand)
    return flags


def test_one_step_gradient_only_last_L_and_H_steps():
    model = tiny(h_cycles=3, l_cycles=2)
    flags = _grad_flags(model, None)
    assert flags["L"] == [False] * 5 + [True]
    assert flags["H"] == [False, False, True]
    tokens, cand = inputs()
    out, _ = model(tokens, cand)
    out.logits.sum().backward()
    assert all(p.grad is not None for p in model.L.parameters())
    assert all(p.grad is not None for p in model.H.parameters())


def test_trm_backprops_through_the_whole_last_recursion():
    model = tiny(h_cycles=3, l_cycles=2, recursion="trm")
    assert model.H is model.L  # one shared network
    flags = _grad_flags(model, None)
    # 2 recursions without grad (2 L + 1 H calls each), the last with grad: 3 calls.
    assert flags["L"] == [False] * 6 + [True] * 3


def test_q_head_starts_by_never_halting():
    out, _ = tiny()(*inputs())
    assert (out.q_halt < -4).all()


@pytest.mark.parametrize(
    "bad",
    [
        {"hidden": 30, "heads": 4},
        {"recursion": "nope"},
        {"h_cycles": 0},
        {"positions": "sinus"},
        {"l_mixer": "fft"},
        {"l_mixer": "conv", "grid_height": 3, "grid_width": 4},  # 12 cells, 16 variables
    ],
)
def test_invalid_configs_are_typed_errors(bad):
    args = {"num_variables": 16, "num_values": 4, "hidden": 32, "heads": 2, **bad}
    with pytest.raises(ConfigError):
        HRMConfig(**args)


def test_learned_positions_and_auto_device():
    model = HRM(HRMConfig(num_variables=16, num_values=4, hidden=32, heads=2, positions="learned"))
    out, _ = model(*inputs())
    assert out.logits.shape == (3, 16, 4)
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ConfigError):
        resolve_device("tpu:9")


def test_conv_mixer_sees_only_neighbours_per_step():
    """One conv L step moves information one cell (3x3): a change at a corner of a
    4x4 grid reaches its neighbours but not the far corner; more steps reach further."""
    torch.manual_seed(0)

    def spread(l_cycles: int) -> torch.Tensor:
        cfg = HRMConfig(
            num_variables=16, num_values=4, hidden=32, heads=2, positions="learned", recursion="trm",
            h_cycles=1, l_cycles=l_cycles, l_layers=1, l_mixer="conv", grid_height=4, grid_width=4,
        )
        torch.manual_seed(0)
        model = HRM(cfg)
        tokens, cand = inputs(1)
        other = tokens.clone()
        other[0, 0] = 1 if tokens[0, 0] != 1 else 2  # change the top-left cell only
        a, _ = model(tokens, cand)
        b, _ = model(other, cand)
        return (a.logits - b.logits).abs().amax(-1)[0].reshape(4, 4) > 1e-6

    # trm, h_cycles=1: l_cycles L steps then one H step (also conv): l_cycles + 1 steps.
    one = spread(1)  # two steps: reaches cells within Chebyshev distance 2
    assert one[0, 0] and one[2, 2] and not one[3, 3] and not one[0, 3]
    assert spread(2)[3, 3]
    model = HRM(HRMConfig(num_variables=16, num_values=4, hidden=32, heads=2, l_mixer="conv", grid_height=4,
                          grid_width=4))
    assert model.H is not model.L and not hasattr(model.H.blocks[0].attn, "conv")  # H stays global


def test_a_one_segment_model_restarts_every_segment():
    """carry_state=False (trained on one segment): a carried state is ignored, so the
    second segment answers as the first; the default continues from the state."""
    fresh = tiny(carry_state=False)
    tokens, cand = inputs()
    first, state = fresh(tokens, cand)
    second, _ = fresh(tokens, cand, state)
    assert torch.equal(first.logits, second.logits)
    carried = tiny()
    a, state = carried(tokens, cand)
    assert not torch.equal(a.logits, carried(tokens, cand, state)[0].logits)
