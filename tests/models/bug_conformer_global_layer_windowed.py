"""Seeded bug: in a stack that mixes windowed and global layers (``context_chunks = [1, None,
1]``), the per-layer window is looked up as ``context_chunks[i] or default``, so the global
layer silently gets the default window of one chunk: the "sliding windows are applied to wrong
layers" of Qwen2's ``max_window_layers`` (huggingface/transformers#35896) and Gemma layers run
with the wrong window (vllm-project/vllm-metal#282). Forward and stream agree (both use the
same lookup); the output forgets everything past the stack's finite reach, which the
declaration (a global layer: no left bound) says it keeps."""

from types import SimpleNamespace

import _conformer

EXPECTED_FAILURE = "model.receptive_field"
DEFAULT_CONTEXT = 1


class Encoder(_conformer.Encoder):
    def layer_context(self, i):
        return self.config.context_chunks[i] or DEFAULT_CONTEXT


def make_model(seed: int = 0) -> SimpleNamespace:
    config = _conformer.Config(
        kernel=2, context_chunks=(1, None, 1), modules=("attn", "conv", "ff")
    )
    return _conformer.target(Encoder(config, seed=seed))
