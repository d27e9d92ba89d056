#!/usr/bin/env python3
"""Development check: an exported target encoder in the official I-JEPA
VisionTransformer gives the features our Probe cached for the same images.

    .venv/bin/python tools/interop/check_export.py --ijepa PATH \
        target_encoder.safetensors artifacts/prepare/<key>/val-00000.h5 artifacts/features/<key>/features.h5 [--images 500]

The shard is the Prepare artifact's (uint8 patches, channel-major within a
patch); the feature file is the Probe's cache of the same split for the same
weights (`features.h5` with subject ijepa, split val, features last).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from functools import partial

import h5py
import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import load_file


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ijepa", required=True, help="checkout of facebookresearch/ijepa")
    ap.add_argument("weights")
    ap.add_argument("shard")
    ap.add_argument("features")
    ap.add_argument("--images", type=int, default=500)
    args = ap.parse_args()
    sys.path.insert(0, os.path.abspath(args.ijepa))
    from src.models.vision_transformer import VisionTransformer  # noqa: E402

    with safe_open(args.weights, "pt") as f:
        meta = f.metadata()
    m, norm = json.loads(meta["model"]), json.loads(meta["normalization"])
    g, p, c = m["grid_size"], m["patch_size"], m["channels"]
    side = g * p
    encoder = VisionTransformer(img_size=[side], patch_size=p, in_chans=c, embed_dim=m["embed_dim"], depth=m["depth"],
                                num_heads=m["num_heads"], mlp_ratio=m["mlp_ratio"], qkv_bias=True,
                                norm_layer=partial(torch.nn.LayerNorm, eps=1e-6)).eval()
    encoder.load_state_dict(load_file(args.weights))
    with h5py.File(args.shard) as shard, h5py.File(args.features) as cache:
        n = min(args.images, shard["patches"].shape[0])
        patches = shard["patches"][:n].astype(np.float64) / 255
        ours = cache["features"][:n]
    images = patches.reshape(n, g, g, c, p, p).transpose(0, 3, 1, 4, 2, 5).reshape(n, c, side, side)
    mean, std = np.array(norm["mean"]).reshape(1, c, 1, 1), np.array(norm["std"]).reshape(1, c, 1, 1)
    with torch.no_grad():
        official = encoder(torch.from_numpy(((images - mean) / std).astype(np.float32))).mean(dim=1).numpy()
    rel = float(np.abs(official - ours).max() / np.abs(official).max())
    print(f"{n} images: largest difference {rel:.2e} of the largest feature")
    if rel > 1e-4:
        sys.exit("check_export: the official model and our Probe disagree")


if __name__ == "__main__":
    main()
