"""A healthy model fine-tuned with LoRA on every MLP's up projection: ``W + A @ B`` with ``B``
initialised to zero (Hu et al., 2021; peft's default). At the first backward ``A``'s gradient is
exactly zero (it is multiplied by ``B``), and one optimizer step later it is not: the same holds
for every zero-initialised gate (ReZero, adaLN-zero, hyper-connections). ``model.grad_flow``
must not name ``A``: it learns from the second step on."""

from types import SimpleNamespace

import _trainable
import torch

RANK = 2


class LoraEncoder(_trainable.Encoder):
    def __init__(self, *, seed: int = 0, **kwargs) -> None:
        self.lora_generator = torch.Generator().manual_seed(seed + 2)
        super().__init__(seed=seed, **kwargs)

    def build_module(self):
        for layer in self.layers:
            fan_in, fan_out = layer["up"][0].shape
            a = torch.randn(fan_in, RANK, generator=self.lora_generator)
            layer["lora_a"] = a / fan_in**0.5
            layer["lora_b"] = torch.zeros(RANK, fan_out)
        return super().build_module()

    def mlp(self, i, h, wu, bu, wd, bd):
        p = self.layers[i]
        return super().mlp(i, h, wu + p["lora_a"] @ p["lora_b"], bu, wd, bd)


def make_model(seed: int = 0) -> SimpleNamespace:
    return _trainable.target(LoraEncoder(seed=seed))
