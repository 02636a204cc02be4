"""The warm mask finds the default device without asking torch each call; it must still follow
``torch.set_default_device`` and ``with torch.device(...)``, cached masks included."""

from __future__ import annotations

import torch

from chunkattn import ChunkConfig, create_dynamic_chunk_mask


def test_the_mask_follows_the_default_device_through_its_cache():
    config = ChunkConfig(3, 1)
    assert create_dynamic_chunk_mask(10, config).device.type == "cpu"  # now cached on the CPU
    with torch.device("meta"):
        assert create_dynamic_chunk_mask(10, config).device.type == "meta"
    torch.set_default_device("meta")
    try:
        assert create_dynamic_chunk_mask(10, config).device.type == "meta"
        assert create_dynamic_chunk_mask(10, config, device="cpu").device.type == "cpu"
    finally:
        torch.set_default_device(None)
    again = create_dynamic_chunk_mask(10, config)
    assert again.device.type == "cpu" and again[0, 0, 9].tolist() == [False] * 6 + [True] * 4
