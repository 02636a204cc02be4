"""Training bug: the relative position bias is read through ``.data``, which silently detaches
it from autograd: the forward is exactly right, and the bias tables never learn.

``.data`` is the pre-0.4 idiom still copied from old code and tutorials; PyTorch's own migration
note and pytorch/pytorch#6990 / #7000 warn that changes through it are not tracked by autograd;
queenie88/A-GCN#4 is the same mistake with ``.detach()`` (two weight matrices that never
update)."""

from types import SimpleNamespace

import _trainable

EXPECTED_FAILURE = "model.grad_flow"


class Encoder(_trainable.Encoder):
    def position_bias(self, layer, q_pos, k_pos):
        d = self.max_distance
        rel = (q_pos[:, None] - k_pos[None, :]).clamp(-d, d) + d
        return self.layers[layer]["bias"].data[:, rel]


def make_model(seed: int = 0) -> SimpleNamespace:
    return _trainable.target(Encoder(seed=seed))
