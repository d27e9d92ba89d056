#!/usr/bin/env python3
"""Development-only reference for the Swift I-JEPA numerics tests.

Builds a tiny I-JEPA context encoder (ViT) and predictor in PyTorch, runs a
float64 forward/backward with the float32 parameters, and writes inputs,
parameters, outputs, loss and all parameter gradients to

    Tests/NumericsTests/Fixtures/ijepa_tiny.h5

Tests and CI never run this script; they only read the committed fixture.
See tools/reference/README.md for how to recreate the environment.
"""

from __future__ import annotations

import math
import os
import sys
from collections import OrderedDict

import h5py
import numpy as np
import torch
import torch.nn.functional as F

# ---------------------------------------------------------------------------
# Tiny configuration
# ---------------------------------------------------------------------------
C, p, g = 3, 2, 4
D = C * p * p          # 12
N = g * g              # 16
E, L, h = 16, 2, 2
mlp_ratio = 4.0
Hd = int(E * mlp_ratio)  # 64
P, Lp, hp = 8, 2, 2
B, Kc, M, Kt = 2, 6, 2, 3
LN_EPS = 1e-6
SEED = 20240611

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT_PATH = os.path.join(REPO_ROOT, "Tests", "NumericsTests", "Fixtures", "ijepa_tiny.h5")


# ---------------------------------------------------------------------------
# Fixed 2-D sin-cos positional embedding (float64)
# ---------------------------------------------------------------------------
def sincos_1d(d: int, pos: np.ndarray) -> np.ndarray:
    """[len(pos), d]: all sines then all cosines, omega_k = 1/10000^(k/(d/2))."""
    assert d % 2 == 0
    half = d // 2
    omega = 1.0 / (10000.0 ** (np.arange(half, dtype=np.float64) / half))
    out = np.outer(pos.astype(np.float64), omega)  # [len, half]
    return np.concatenate([np.sin(out), np.cos(out)], axis=1)


def sincos_2d(dim: int, grid: int) -> np.ndarray:
    """[grid*grid, dim]; token t = i*grid + j; first half from column j, second from row i."""
    assert dim % 2 == 0
    t = np.arange(grid * grid)
    rows = t // grid
    cols = t % grid
    emb_col = sincos_1d(dim // 2, cols)
    emb_row = sincos_1d(dim // 2, rows)
    return np.concatenate([emb_col, emb_row], axis=1)


# ---------------------------------------------------------------------------
# Parameters (names and shapes as the official state_dict)
# ---------------------------------------------------------------------------
def block_param_specs(prefix: str, width: int, hidden: int):
    return [
        (f"{prefix}norm1.weight", (width,), "ln_w"),
        (f"{prefix}norm1.bias", (width,), "ln_b"),
        (f"{prefix}attn.qkv.weight", (3 * width, width), "lin_w"),
        (f"{prefix}attn.qkv.bias", (3 * width,), "lin_b"),
        (f"{prefix}attn.proj.weight", (width, width), "lin_w"),
        (f"{prefix}attn.proj.bias", (width,), "lin_b"),
        (f"{prefix}norm2.weight", (width,), "ln_w"),
        (f"{prefix}norm2.bias", (width,), "ln_b"),
        (f"{prefix}mlp.fc1.weight", (hidden, width), "lin_w"),
        (f"{prefix}mlp.fc1.bias", (hidden,), "lin_b"),
        (f"{prefix}mlp.fc2.weight", (width, hidden), "lin_w"),
        (f"{prefix}mlp.fc2.bias", (width,), "lin_b"),
    ]


def param_specs():
    specs = [
        ("patch_embed.proj.weight", (E, C, p, p), "lin_w"),
        ("patch_embed.proj.bias", (E,), "lin_b"),
    ]
    for l in range(L):
        specs += block_param_specs(f"blocks.{l}.", E, Hd)
    specs += [
        ("norm.weight", (E,), "ln_w"),
        ("norm.bias", (E,), "ln_b"),
        ("predictor_embed.weight", (P, E), "lin_w"),
        ("predictor_embed.bias", (P,), "lin_b"),
        ("mask_token", (1, 1, P), "mask"),
    ]
    Hp = int(P * mlp_ratio)
    for l in range(Lp):
        specs += block_param_specs(f"predictor_blocks.{l}.", P, Hp)
    specs += [
        ("predictor_norm.weight", (P,), "ln_w"),
        ("predictor_norm.bias", (P,), "ln_b"),
        ("predictor_proj.weight", (E, P), "lin_w"),
        ("predictor_proj.bias", (E,), "lin_b"),
    ]
    return specs


def init_params(rng: np.random.Generator) -> "OrderedDict[str, np.ndarray]":
    params = OrderedDict()
    for name, shape, kind in param_specs():
        z = rng.standard_normal(shape)
        if kind == "lin_w":
            v = 0.3 * z
        elif kind == "lin_b":
            v = 0.1 * z
        elif kind == "ln_w":
            v = 1.0 + 0.2 * z
        elif kind == "ln_b":
            v = 0.1 * z
        elif kind == "mask":
            v = 0.5 * z
        else:
            raise ValueError(kind)
        params[name] = v.astype(np.float32)
    return params


# ---------------------------------------------------------------------------
# Model (functional, on a dict of tensors)
# ---------------------------------------------------------------------------
def linear(x, w, b):
    return x @ w.t() + b


def layer_norm(x, w, b):
    return F.layer_norm(x, (x.shape[-1],), w, b, eps=LN_EPS)


def attention(x, prm, prefix, heads):
    Bt, T, W = x.shape
    hd = W // heads
    qkv = linear(x, prm[prefix + "qkv.weight"], prm[prefix + "qkv.bias"])  # [Bt, T, 3W]
    qkv = qkv.reshape(Bt, T, 3, heads, hd).permute(2, 0, 3, 1, 4)  # [3, Bt, heads, T, hd]
    q, k, v = qkv[0], qkv[1], qkv[2]
    scores = (q @ k.transpose(-2, -1)) * (hd ** -0.5)
    attn = scores.softmax(dim=-1)
    out = attn @ v  # [Bt, heads, T, hd]
    out = out.transpose(1, 2).reshape(Bt, T, W)
    return linear(out, prm[prefix + "proj.weight"], prm[prefix + "proj.bias"])


def block(x, prm, prefix, heads):
    x = x + attention(layer_norm(x, prm[prefix + "norm1.weight"], prm[prefix + "norm1.bias"]),
                      prm, prefix + "attn.", heads)
    y = layer_norm(x, prm[prefix + "norm2.weight"], prm[prefix + "norm2.bias"])
    y = linear(y, prm[prefix + "mlp.fc1.weight"], prm[prefix + "mlp.fc1.bias"])
    y = F.gelu(y, approximate="none")
    y = linear(y, prm[prefix + "mlp.fc2.weight"], prm[prefix + "mlp.fc2.bias"])
    return x + y


def gather_tokens(x, idx):
    """x [B, T, W], idx [B, K] (long) -> [B, K, W]."""
    return torch.gather(x, 1, idx.unsqueeze(-1).expand(-1, -1, x.shape[-1]))


def encoder(patches, prm, pos, ctx_idx=None):
    w = prm["patch_embed.proj.weight"].reshape(E, D)
    x = linear(patches, w, prm["patch_embed.proj.bias"]) + pos.unsqueeze(0)
    if ctx_idx is not None:
        x = gather_tokens(x, ctx_idx)
    for l in range(L):
        x = block(x, prm, f"blocks.{l}.", h)
    return layer_norm(x, prm["norm.weight"], prm["norm.bias"])


def predictor(enc_out, prm, ppos, ctx_idx, tgt_idx):
    Bn = enc_out.shape[0]
    x_ctx = linear(enc_out, prm["predictor_embed.weight"], prm["predictor_embed.bias"])
    ppos_b = ppos.unsqueeze(0).expand(Bn, -1, -1)
    x_ctx = x_ctx + gather_tokens(ppos_b, ctx_idx)
    rows = []
    for m in range(tgt_idx.shape[0]):
        tgt_pos = gather_tokens(ppos_b, tgt_idx[m])  # [B, Kt, P]
        tgt_tok = prm["mask_token"] + tgt_pos  # [B, Kt, P]
        rows.append(torch.cat([x_ctx, tgt_tok], dim=1))  # [B, Kc+Kt, P]
    x = torch.cat(rows, dim=0)  # [M*B, Kc+Kt, P], row r = m*B + b
    for l in range(Lp):
        x = block(x, prm, f"predictor_blocks.{l}.", hp)
    x = layer_norm(x, prm["predictor_norm.weight"], prm["predictor_norm.bias"])
    x = x[:, -tgt_idx.shape[2]:, :]
    return linear(x, prm["predictor_proj.weight"], prm["predictor_proj.bias"])


# ---------------------------------------------------------------------------
# Independent cross-checks of the functional model against torch.nn modules
# and of the positional embedding against a meshgrid formulation
# ---------------------------------------------------------------------------
def check_pos_embed(emb: np.ndarray, dim: int, grid: int) -> float:
    gw, gh = np.meshgrid(np.arange(grid, dtype=np.float64), np.arange(grid, dtype=np.float64))
    # gw[i, j] = j (column), gh[i, j] = i (row); flatten row-major -> t = i*grid + j
    half = dim // 2
    quarter = half // 2
    omega = 1.0 / 10000.0 ** (np.arange(quarter, dtype=np.float64) / quarter)
    ref = np.zeros((grid * grid, dim))
    for t, (col, row) in enumerate(zip(gw.reshape(-1), gh.reshape(-1))):
        for k in range(quarter):
            ref[t, k] = math.sin(col * omega[k])
            ref[t, quarter + k] = math.cos(col * omega[k])
            ref[t, half + k] = math.sin(row * omega[k])
            ref[t, half + quarter + k] = math.cos(row * omega[k])
    return float(np.abs(ref - emb).max())


def check_block_against_nn(prm, prefix: str, width: int, heads: int, hidden: int, x) -> float:
    dt = x.dtype
    ln1 = torch.nn.LayerNorm(width, eps=LN_EPS).to(dt)
    ln2 = torch.nn.LayerNorm(width, eps=LN_EPS).to(dt)
    mha = torch.nn.MultiheadAttention(width, heads, bias=True, batch_first=True).to(dt)
    fc1 = torch.nn.Linear(width, hidden).to(dt)
    fc2 = torch.nn.Linear(hidden, width).to(dt)
    with torch.no_grad():
        ln1.weight.copy_(prm[prefix + "norm1.weight"]); ln1.bias.copy_(prm[prefix + "norm1.bias"])
        ln2.weight.copy_(prm[prefix + "norm2.weight"]); ln2.bias.copy_(prm[prefix + "norm2.bias"])
        # nn.MultiheadAttention packs in_proj as [q; k; v], heads in order within each
        mha.in_proj_weight.copy_(prm[prefix + "attn.qkv.weight"])
        mha.in_proj_bias.copy_(prm[prefix + "attn.qkv.bias"])
        mha.out_proj.weight.copy_(prm[prefix + "attn.proj.weight"])
        mha.out_proj.bias.copy_(prm[prefix + "attn.proj.bias"])
        fc1.weight.copy_(prm[prefix + "mlp.fc1.weight"]); fc1.bias.copy_(prm[prefix + "mlp.fc1.bias"])
        fc2.weight.copy_(prm[prefix + "mlp.fc2.weight"]); fc2.bias.copy_(prm[prefix + "mlp.fc2.bias"])
        y = ln1(x)
        r = x + mha(y, y, y, need_weights=False)[0]
        r = r + fc2(torch.nn.GELU()(fc1(ln2(r))))
        mine = block(x, prm, prefix, heads)
    return float((r - mine).abs().max())


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------
def main() -> int:
    rng = np.random.default_rng(SEED)
    params_np = init_params(rng)
    patches_np = rng.standard_normal((B, N, D)).astype(np.float32)
    ctx_idx_np = np.stack([np.sort(rng.choice(N, size=Kc, replace=False)) for _ in range(B)]).astype(np.int32)
    tgt_idx_np = np.stack([
        np.stack([rng.choice(N, size=Kt, replace=False) for _ in range(B)]) for _ in range(M)
    ]).astype(np.int32)
    grad_out_np = rng.standard_normal((M * B, Kt, E)).astype(np.float32)

    pos_np = sincos_2d(E, g)
    ppos_np = sincos_2d(P, g)

    dt = torch.float64
    pos = torch.from_numpy(pos_np)
    ppos = torch.from_numpy(ppos_np)
    patches = torch.from_numpy(patches_np.astype(np.float64))
    ctx_idx = torch.from_numpy(ctx_idx_np.astype(np.int64))
    tgt_idx = torch.from_numpy(tgt_idx_np.astype(np.int64))
    G = torch.from_numpy(grad_out_np.astype(np.float64))

    prm = OrderedDict(
        (k, torch.tensor(v.astype(np.float64), dtype=dt, requires_grad=True)) for k, v in params_np.items()
    )

    def full_loss(pr):
        ec = encoder(patches, pr, pos, ctx_idx)
        pd = predictor(ec, pr, ppos, ctx_idx, tgt_idx)
        return (pd * G).sum(), ec, pd

    loss, enc_ctx, pred = full_loss(prm)
    loss.backward()
    grads = OrderedDict((k, v.grad.detach().clone()) for k, v in prm.items())
    with torch.no_grad():
        enc_full = encoder(patches, prm, pos, None)

    # Cross-checks of building blocks (independent formulations).
    pe_err = max(check_pos_embed(pos_np, E, g), check_pos_embed(ppos_np, P, g))
    with torch.no_grad():
        conv = torch.nn.Conv2d(C, E, kernel_size=p, stride=p).to(dt)
        conv.weight.copy_(prm["patch_embed.proj.weight"]); conv.bias.copy_(prm["patch_embed.proj.bias"])
        # Un-flatten patches (channel-major, then row, then col) into an image.
        img = patches.reshape(B, g, g, C, p, p).permute(0, 3, 1, 4, 2, 5).reshape(B, C, g * p, g * p)
        conv_out = conv(img).flatten(2).transpose(1, 2)  # [B, N, E], token t = i*g + j
        lin_out = linear(patches, prm["patch_embed.proj.weight"].reshape(E, D), prm["patch_embed.proj.bias"])
        pe_conv_err = float((conv_out - lin_out).abs().max())
        xe = torch.randn(B, N, E, dtype=dt, generator=torch.Generator().manual_seed(SEED))
        xp = torch.randn(M * B, Kc + Kt, P, dtype=dt, generator=torch.Generator().manual_seed(SEED + 2))
        blk_err = max(
            max(check_block_against_nn(prm, f"blocks.{l}.", E, h, Hd, xe) for l in range(L)),
            max(check_block_against_nn(prm, f"predictor_blocks.{l}.", P, hp, int(P * mlp_ratio), xp)
                for l in range(Lp)),
        )
    print(f"cross-checks: sin-cos vs meshgrid {pe_err:.2e}, patch linear vs Conv2d {pe_conv_err:.2e}, "
          f"blocks vs torch.nn {blk_err:.2e}")
    if max(pe_err, pe_conv_err, blk_err) > 1e-12:
        print("CROSS-CHECK FAILED", file=sys.stderr)
        return 1

    assert enc_full.shape == (B, N, E) and enc_ctx.shape == (B, Kc, E)
    assert pred.shape == (M * B, Kt, E)
    for k, v in grads.items():
        assert torch.count_nonzero(v) > 0, f"zero gradient for {k}"

    # -----------------------------------------------------------------------
    # Self-check: central finite differences vs autograd (float64)
    # -----------------------------------------------------------------------
    fd_rng = np.random.default_rng(SEED + 1)
    names = list(prm.keys())
    eps = 1e-5  # central differences in float64: truncation and roundoff both ~1e-10
    max_rel = 0.0
    n_checks = 0
    with torch.no_grad():
        # a few entries in every parameter plus extra random ones
        picks = [(nm, int(fd_rng.integers(prm[nm].numel()))) for nm in names]
        picks += [(names[int(fd_rng.integers(len(names)))], None) for _ in range(20)]
        for nm, flat in picks:
            t = prm[nm]
            if flat is None:
                flat = int(fd_rng.integers(t.numel()))
            view = t.view(-1)
            orig = view[flat].item()
            view[flat] = orig + eps
            lp = full_loss(prm)[0].item()
            view[flat] = orig - eps
            lm = full_loss(prm)[0].item()
            view[flat] = orig
            fd = (lp - lm) / (2 * eps)
            ag = grads[nm].view(-1)[flat].item()
            # floor of 1e-3 on the denominator: entries whose true gradient is
            # ~0 (e.g. the attention key bias, to which softmax is invariant)
            # are then judged by absolute error.
            rel = abs(fd - ag) / max(abs(fd), abs(ag), 1e-3)
            if rel > max_rel:
                worst = (nm, flat, fd, ag)
            max_rel = max(max_rel, rel)
            n_checks += 1
    print(f"finite-difference self-check: {n_checks} entries, max relative error {max_rel:.3e} "
          f"(worst: {worst[0]}[{worst[1]}] fd={worst[2]:.10g} autograd={worst[3]:.10g})")
    if max_rel > 1e-5:
        print("SELF-CHECK FAILED", file=sys.stderr)
        return 1

    # -----------------------------------------------------------------------
    # Write HDF5
    # -----------------------------------------------------------------------
    os.makedirs(os.path.dirname(OUT_PATH), exist_ok=True)
    tmp_path = OUT_PATH + ".tmp"
    with h5py.File(tmp_path, "w", libver="earliest") as f:
        for k, v in [("C", C), ("p", p), ("D", D), ("g", g), ("N", N), ("E", E), ("L", L),
                     ("h", h), ("Hd", Hd), ("P", P), ("Lp", Lp), ("hp", hp), ("B", B),
                     ("Kc", Kc), ("M", M), ("Kt", Kt)]:
            f.attrs[k] = np.int64(v)
        f.attrs["mlp_ratio"] = np.float64(mlp_ratio)
        f.attrs["ln_eps"] = np.float64(LN_EPS)

        f.create_dataset("input/patches", data=patches_np)
        f.create_dataset("input/ctx_idx", data=ctx_idx_np)
        f.create_dataset("input/tgt_idx", data=tgt_idx_np)
        f.create_dataset("input/grad_out", data=grad_out_np)
        for k, v in params_np.items():
            f.create_dataset(f"params/{k}", data=v)
        f.create_dataset("pos_embed", data=pos_np)
        f.create_dataset("predictor_pos_embed", data=ppos_np)
        f.create_dataset("output/enc_full", data=enc_full.numpy())
        f.create_dataset("output/enc_ctx", data=enc_ctx.detach().numpy())
        f.create_dataset("output/pred", data=pred.detach().numpy())
        f.create_dataset("output/loss", data=np.float64(loss.item()))
        for k, v in grads.items():
            f.create_dataset(f"grads/{k}", data=v.numpy())
    os.replace(tmp_path, OUT_PATH)

    # -----------------------------------------------------------------------
    # Summary
    # -----------------------------------------------------------------------
    print(f"wrote {OUT_PATH} ({os.path.getsize(OUT_PATH)} bytes)")
    print(f"loss = {loss.item():.17g}")
    with h5py.File(OUT_PATH, "r") as f:
        print("attributes:", {k: f.attrs[k].item() for k in f.attrs})

        def show(name, obj):
            if isinstance(obj, h5py.Dataset):
                print(f"  {name:55s} {str(obj.dtype):8s} {list(obj.shape)}")
        f.visititems(show)
    return 0


if __name__ == "__main__":
    sys.exit(main())
