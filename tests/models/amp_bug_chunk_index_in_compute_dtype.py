"""Mixed-precision bug: the token positions the chunk mask is built from are created in the
activations' dtype, ``torch.arange(T, dtype=h.dtype)``, and the chunk index is ``pos // C``.
bfloat16 holds integers exactly only up to 256: past it ``arange`` rounds (``[257] == 256``,
``[259] == 260``), so a token near the end of a chunk gets the next chunk's index and sees that
chunk's keys. Right in float32 (exact to 2**24) and on every short input; under bfloat16
autocast, a leak of the next chunk into outputs past token 256 (float16: past 2048).

Reported as pytorch/pytorch#114544 (``arange(..., dtype=torch.bfloat16)[1001] == 1000``),
huggingface/transformers#28685 (integer ranges must not be created in a float dtype) and
NVIDIA/Megatron-LM#535 (RoPE positions cast to fp16 lose their fraction bits) — the
positions-in-low-precision class of RoPE bugs (huggingface/transformers#29285)."""

from types import SimpleNamespace

import _amp
import torch

EXPECTED_FAILURE = "model.chunk_causality"
EXPECTED_PRECISION = "bf16-mixed"


class Encoder(_amp.Encoder):
    def positions(self, h):
        return torch.arange(h.shape[1], device=h.device, dtype=h.dtype)


def make_model(seed: int = 0) -> SimpleNamespace:
    return _amp.target(Encoder(seed=seed))
