#!/usr/bin/env python3
"""PyTorch yardstick for `make bench-compare` (development only).

Trains the very steps that `PretrainBench --dump FILE` ran: the same initial
weights, batches, masks and learning-rate / weight-decay / momentum values,
with an I-JEPA model written here in plain PyTorch the way the official code
builds it (Conv2d patch embedding, fixed sin-cos positions, pre-norm blocks
with explicit softmax attention, predictor with mask tokens, layer-normalised
EMA targets, smooth-L1 or L2 loss, AdamW with the official parameter groups).
It times the same timed steps, checks that its losses match ours, and prints
both rates and their ratio. A dump of a run with meta.use_bfloat16 trains
under torch.autocast("cpu", dtype=torch.bfloat16), as the official code
trains with use_bfloat16.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import resource
import sys
import time

import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def sincos_2d(dim: int, grid: int) -> torch.Tensor:
    """[grid*grid, dim]: first half from the column, second from the row."""
    def one_d(d, pos):
        omega = 1.0 / 10000 ** (np.arange(d // 2, dtype=np.float64) / (d / 2.0))
        out = np.outer(pos, omega)
        return np.concatenate([np.sin(out), np.cos(out)], axis=1)
    t = np.arange(grid * grid)
    emb = np.concatenate([one_d(dim // 2, t % grid), one_d(dim // 2, t // grid)], axis=1)
    return torch.from_numpy(emb.astype(np.float32))


class Attention(nn.Module):
    def __init__(self, dim, heads, sdpa):
        super().__init__()
        self.heads, self.sdpa = heads, sdpa
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, c = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        if self.sdpa:
            x = F.scaled_dot_product_attention(q, k, v)
        else:
            x = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1) @ v
        return self.proj(x.transpose(1, 2).reshape(b, n, c))


class Block(nn.Module):
    def __init__(self, dim, heads, mlp_ratio, sdpa):
        super().__init__()
        hidden = int(dim * mlp_ratio)
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, heads, sdpa)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = nn.Sequential()
        self.mlp.fc1 = nn.Linear(dim, hidden)
        self.mlp.act = nn.GELU()
        self.mlp.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


def gather(x, idx):
    """x [B, N, C], idx [B, K] -> [B, K, C]."""
    return torch.gather(x, 1, idx.unsqueeze(-1).expand(-1, -1, x.shape[-1]))


class Encoder(nn.Module):
    def __init__(self, a, sdpa):
        super().__init__()
        e, p = a["embed_dim"], a["patch_size"]
        self.patch_embed = nn.Module()
        self.patch_embed.proj = nn.Conv2d(a["channels"], e, p, stride=p)
        self.register_buffer("pos_embed", sincos_2d(e, a["grid"]).unsqueeze(0), persistent=False)
        self.blocks = nn.ModuleList(Block(e, a["num_heads"], a["mlp_ratio"], sdpa) for _ in range(a["depth"]))
        self.norm = nn.LayerNorm(e, eps=1e-6)

    def forward(self, imgs, keep=None):
        x = self.patch_embed.proj(imgs).flatten(2).transpose(1, 2) + self.pos_embed
        if keep is not None:
            x = gather(x, keep)
        for blk in self.blocks:
            x = blk(x)
        return self.norm(x)


class Predictor(nn.Module):
    def __init__(self, a, sdpa):
        super().__init__()
        e, pd = a["embed_dim"], a["pred_emb_dim"]
        self.predictor_embed = nn.Linear(e, pd)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, pd))
        self.register_buffer("pos_embed", sincos_2d(pd, a["grid"]).unsqueeze(0), persistent=False)
        self.predictor_blocks = nn.ModuleList(Block(pd, a["num_heads"], 4.0, sdpa) for _ in range(a["pred_depth"]))
        self.predictor_norm = nn.LayerNorm(pd, eps=1e-6)
        self.predictor_proj = nn.Linear(pd, e)

    def forward(self, z, ctx, tgts):
        b, kc = ctx.shape
        m = len(tgts)
        pos = self.pos_embed.expand(b, -1, -1)
        x = self.predictor_embed(z) + gather(pos, ctx)
        pred = torch.cat([gather(pos, t) for t in tgts], 0) + self.mask_token
        x = torch.cat([x.repeat(m, 1, 1), pred], 1)
        for blk in self.predictor_blocks:
            x = blk(x)
        return self.predictor_proj(self.predictor_norm(x)[:, kc:])


def load(module, group, prefix):
    state = {k: torch.from_numpy(np.asarray(v)) for k, v in group.items()}
    missing = module.load_state_dict(state, strict=False)
    if missing.missing_keys or missing.unexpected_keys:
        sys.exit(f"{prefix}: weights do not match the model: {missing}")


def h5_items(group):
    out = {}
    group.visititems(lambda name, obj: out.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dump", help="file written by PretrainBench --dump")
    ap.add_argument("--threads", type=int, default=int(os.environ.get("IJEPA_THREADS", os.cpu_count())))
    ap.add_argument("--sdpa", action="store_true", help="fused scaled_dot_product_attention instead of the official explicit softmax")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    with h5py.File(args.dump, "r") as f:
        a = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
        a = {k: (float(v) if k == "mlp_ratio" else v) for k, v in a.items()}
        a = {k: (int(v) if isinstance(v, np.integer) else v) for k, v in a.items()}
        steps, warmup, batch = a["steps"], a["warmup"], a["batch"]
        enc, pred = Encoder(a, args.sdpa), Predictor(a, args.sdpa)
        load(enc, h5_items(f["init/encoder"]), "encoder")
        load(pred, h5_items(f["init/predictor"]), "predictor")
        c, p, g = a["channels"], a["patch_size"], a["grid"]
        data = []
        for s in range(warmup + steps):
            st = f[f"steps/{s}"]
            patches = torch.from_numpy(st["patches"][()])  # [B, N, C*p*p]: channel, row, column
            imgs = patches.reshape(batch, g, g, c, p, p).permute(0, 3, 1, 4, 2, 5).reshape(batch, c, g * p, g * p)
            ctx = torch.from_numpy(st["context"][()].astype(np.int64))
            tgts = [torch.from_numpy(t.astype(np.int64)) for t in st["targets"][()]]
            lr, wd, mom = st["schedule"][()]
            data.append((imgs.contiguous(), ctx, tgts, float(lr), float(wd), float(mom)))
        ours = f["ours/losses"][()]
        ours_rate = float(a["ours_median_images_per_s"])
        ours_rss = int(a["ours_peak_rss_bytes"])

    target = Encoder(a, args.sdpa)
    target.load_state_dict(enc.state_dict())
    for q in target.parameters():
        q.requires_grad_(False)
    named = list(enc.named_parameters()) + list(pred.named_parameters())
    decay = [q for n, q in named if "bias" not in n and q.ndim != 1]
    rest = [q for n, q in named if not ("bias" not in n and q.ndim != 1)]
    opt = torch.optim.AdamW([{"params": decay}, {"params": rest, "weight_decay": 0.0, "WD_exclude": True}])
    loss_fn = F.smooth_l1_loss if a["loss"] == "smooth_l1" else F.mse_loss
    bf16 = bool(a.get("use_bfloat16", 0))
    # The official step: targets, prediction and loss under autocast, backward outside it.
    autocast = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if bf16 else contextlib.nullcontext
    # Autocast keeps bf16 activations where we keep float32 ones and round
    # only the GEMM operands, so bf16 losses agree to bf16's precision, not float32's.
    tolerance = 3e-2 if bf16 else 1e-3
    phases = dict.fromkeys(["target forward", "forward+loss", "backward", "optimizer+EMA"], 0.0)
    losses, timed, step_times = [], 0.0, []
    for s, (imgs, ctx, tgts, lr, wd, mom) in enumerate(data):
        for group in opt.param_groups:
            group["lr"] = lr
            if not group.get("WD_exclude", False):
                group["weight_decay"] = wd
        t0 = time.perf_counter()
        with torch.no_grad(), autocast():
            h = F.layer_norm(target(imgs), (a["embed_dim"],))
            h = torch.cat([gather(h, t) for t in tgts], 0)
        t1 = time.perf_counter()
        with autocast():
            loss = loss_fn(pred(enc(imgs, ctx), ctx, tgts), h)
        t2 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        t3 = time.perf_counter()
        opt.step()
        with torch.no_grad():
            for qt, qo in zip(target.parameters(), enc.parameters()):
                qt.mul_(mom).add_((1.0 - mom) * qo.detach())
        t4 = time.perf_counter()
        losses.append(loss.item())
        if s >= warmup:
            timed += t4 - t0
            step_times.append(t4 - t0)
            for k, dt in zip(phases, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
                phases[k] += dt

    rate = batch * steps / timed
    median_rate = batch / float(np.median(step_times))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    rel = [abs(x - y) / max(abs(y), 1e-12) for x, y in zip(losses, ours)]
    attn = "scaled_dot_product_attention" if args.sdpa else "explicit softmax attention (official)"
    print(f"pytorch {torch.__version__}, {torch.get_num_threads()} threads, {attn}, "
          f"CPU capability {torch.backends.cpu.get_cpu_capability()}"
          + (", autocast bfloat16" if bf16 else ""))
    for k, v in phases.items():
        print(f"  {k:<20} {v / steps * 1000:8.2f} ms")
    print(f"step {timed / steps * 1000:.2f} ms: {rate:.1f} images/s (median step: {median_rate:.1f} images/s); "
          f"peak resident memory {rss / 2**20:.1f} MiB")
    print("losses (pytorch): " + " ".join(f"{x:.5f}" for x in losses))
    print("losses (ours):    " + " ".join(f"{y:.5f}" for y in ours))
    print(f"largest relative loss difference over {len(losses)} steps: {max(rel):.2e}")
    print(f"median steps: ours {ours_rate:.1f} images/s ({ours_rss / 2**20:.1f} MiB peak), pytorch {median_rate:.1f} "
          f"images/s ({rss / 2**20:.1f} MiB peak): ratio {ours_rate / median_rate:.2f}x")
    print(f"RESULT ours={ours_rate:.2f} pytorch={median_rate:.2f} ours_rss_mib={ours_rss / 2**20:.1f} "
          f"pytorch_rss_mib={rss / 2**20:.1f} max_rel_loss_diff={max(rel):.3e}")
    if max(rel) > tolerance:
        print(f"error: the losses differ by more than {tolerance:g}: the two runs do not train the same thing", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
