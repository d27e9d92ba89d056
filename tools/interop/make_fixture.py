#!/usr/bin/env python3
"""Fixtures of Tests/InteropTests: features across the border with the
official I-JEPA code. Development side (needs torch, numpy, h5py,
safetensors: `make venv`) and the official repository
(facebookresearch/ijepa) checked out at --ijepa.

    .venv/bin/python tools/interop/make_fixture.py --ijepa PATH

Writes to Tests/InteropTests/Fixtures/:
- official_target_encoder.safetensors: the target encoder of a checkpoint
  that the official code's modules, AdamW and save dict wrote (random
  weights, a small model), converted by ijepa_checkpoint.py from-official;
- interop.h5: images (B, 16, 16, 3) uint8 as int32, the per-channel mean and
  std that normalise them, `features_of_official_checkpoint` (the official
  target encoder's average-pooled output) and `features_of_our_export` (the
  official VisionTransformer loaded, strictly, with our_export.safetensors,
  which the Swift test writes: IJEPA_UPDATE_FIXTURES=1 swift test --filter
  CrossBorderFeatureTests).
It also checks the converter's round trip through the official layout,
including that the official `load_checkpoint` accepts the result.
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import tempfile
from functools import partial

import h5py
import numpy as np
import torch
import torch.nn as nn
from safetensors.torch import load_file

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "..", "Tests", "InteropTests", "Fixtures")
sys.path.insert(0, HERE)
import ijepa_checkpoint as conv  # noqa: E402

SEED = 20261204
# The Swift test's model: 16x16 RGB, 4x4 patches, width 32, 2 blocks of 2 heads; predictor 16 wide, 1 block.
IMG, PATCH, CH, E, DEPTH, HEADS, P, PDEPTH, B = 16, 4, 3, 32, 2, 2, 16, 1, 6


class DDPNames(nn.Module):
    """Holds a module as `module`, so its state_dict has the names DistributedDataParallel saves."""

    def __init__(self, m: nn.Module):
        super().__init__()
        self.module = m


def build(vt):
    enc = vt.VisionTransformer(img_size=[IMG], patch_size=PATCH, in_chans=CH, embed_dim=E, depth=DEPTH, num_heads=HEADS,
                               mlp_ratio=4, qkv_bias=True, norm_layer=partial(nn.LayerNorm, eps=1e-6))
    pred = vt.vit_predictor(num_patches=(IMG // PATCH) ** 2, embed_dim=E, predictor_embed_dim=P, depth=PDEPTH,
                            num_heads=HEADS)
    return enc, pred


def perturb(m: nn.Module, scale: float) -> None:
    """Random weights everywhere (the official init leaves biases 0 and LayerNorms 1), positions kept."""
    with torch.no_grad():
        for n, p in m.named_parameters():
            if n not in ("pos_embed", "predictor_pos_embed"):
                p.add_(scale * torch.randn_like(p))


def pooled(enc: nn.Module, x: torch.Tensor) -> np.ndarray:
    enc.eval()
    with torch.no_grad():
        return enc(x).mean(dim=1).numpy().astype(np.float32)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ijepa", required=True, help="checkout of facebookresearch/ijepa")
    args = ap.parse_args()
    sys.path.insert(0, os.path.abspath(args.ijepa))
    import src.models.vision_transformer as vt  # noqa: E402
    from src.helper import load_checkpoint  # noqa: E402

    torch.manual_seed(SEED)
    enc, pred = build(vt)
    perturb(enc, 0.05)
    perturb(pred, 0.05)
    target = copy.deepcopy(enc)
    perturb(target, 0.01)
    for p in target.parameters():
        p.requires_grad = False
    # helper.init_opt's AdamW, one step on random gradients so the state has moments.
    opt = official_opt(enc, pred)
    for p in list(enc.parameters()) + list(pred.parameters()):
        if p.requires_grad:
            p.grad = torch.randn_like(p)
    opt.step()
    # train.py's save_checkpoint.
    save_dict = {"encoder": DDPNames(enc).state_dict(), "predictor": DDPNames(pred).state_dict(),
                 "target_encoder": DDPNames(target).state_dict(), "opt": opt.state_dict(), "scaler": None,
                 "epoch": 1, "loss": 0.5, "batch_size": 4, "world_size": 1, "lr": 0.001}

    rng = np.random.default_rng(SEED)
    images = rng.integers(0, 256, size=(B, IMG, IMG, CH), dtype=np.uint8)
    scaled = images.astype(np.float64) / 255
    mean, std = scaled.mean(axis=(0, 1, 2)), scaled.std(axis=(0, 1, 2))
    x = torch.from_numpy(((scaled - mean) / std).astype(np.float32)).permute(0, 3, 1, 2).contiguous()

    with tempfile.TemporaryDirectory() as d:
        official = os.path.join(d, "jepa-latest.pth.tar")
        torch.save(save_dict, official)
        conv.from_official(official, os.path.join(FIXTURES, "official_target_encoder.safetensors"), target_only=True)
        # The converter's round trip: official -> ours -> official, read back by the official loader.
        state, back = os.path.join(d, "state.safetensors"), os.path.join(d, "back.pth.tar")
        conv.from_official(official, state, target_only=False)
        conv.round_trip(state)
        conv.to_official(state, back)
        e2, p2 = build(vt)
        t2 = copy.deepcopy(e2)
        o2 = official_opt(e2, p2)
        _, _, _, _, _, epoch = load_checkpoint("cpu", back, DDPNames(e2), DDPNames(p2), DDPNames(t2), o2, None)
        if epoch != 1:
            sys.exit("make_fixture: the official load_checkpoint did not accept the converted checkpoint")
        for a, b in ((enc, e2), (pred, p2), (target, t2)):
            for (n, u), (_, v) in zip(a.state_dict().items(), b.state_dict().items()):
                if not torch.equal(u, v):
                    sys.exit(f"make_fixture: {n} changed through the official layout")
        a, b = opt.state_dict()["state"], o2.state_dict()["state"]
        if a.keys() != b.keys() or any(not torch.equal(a[i][k], b[i][k]) for i in a for k in a[i]):
            sys.exit("make_fixture: the optimizer state changed through the official layout")
        print("official load_checkpoint: the converted checkpoint loads, every tensor and moment identical")

    ours, _ = build(vt)
    ours.load_state_dict(load_file(os.path.join(FIXTURES, "our_export.safetensors")), strict=True)

    with h5py.File(os.path.join(FIXTURES, "interop.h5"), "w") as f:
        f["images"] = images.astype(np.int32)
        f["mean"], f["std"] = mean, std
        f["features_of_official_checkpoint"] = pooled(target, x)
        f["features_of_our_export"] = pooled(ours, x)
    print(f"wrote {FIXTURES}/interop.h5 and official_target_encoder.safetensors")


def official_opt(enc: nn.Module, pred: nn.Module) -> torch.optim.AdamW:
    """helper.init_opt's AdamW: four groups, biases and 1-D parameters without weight decay."""
    def pick(m, decayed):
        return [p for n, p in m.named_parameters() if (("bias" not in n) and (len(p.shape) != 1)) == decayed]
    return torch.optim.AdamW([{"params": pick(enc, True)}, {"params": pick(pred, True)},
                              {"params": pick(enc, False), "WD_exclude": True, "weight_decay": 0},
                              {"params": pick(pred, False), "WD_exclude": True, "weight_decay": 0}])


if __name__ == "__main__":
    main()
