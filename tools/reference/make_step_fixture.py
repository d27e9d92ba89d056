#!/usr/bin/env python3
"""Development-only reference for the Swift I-JEPA training-step tests.

Performs ONE full I-JEPA training step on the tiny model of make_fixture.py
(same configuration, same kind of random float32 parameters, another seed),
computed in float64 from the float32 values:

  1. target encoder := exact copy of the context encoder;
  2. targets = layer_norm(target_encoder(all N tokens)) (no affine, eps 1e-5),
     gathered at each mask's target positions (mask-major rows r = m*B + b);
  3. pred = predictor(encoder(context tokens), ctx_idx, tgt_idx);
  4. loss = smooth_l1_loss(pred, targets) (also mse_loss, forward only);
  5. backward into every encoder and predictor parameter;
  6. one AdamW step (first step) with weight decay only on parameters whose
     name has no "bias" and whose tensor has more than one dimension;
  7. EMA of the target encoder towards the updated encoder.

Writes Tests/TrainingTests/Fixtures/ijepa_step.h5. Tests and CI never run this
script; they only read the committed fixture. See tools/reference/README.md.
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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixture as mf  # noqa: E402  (model code and tiny configuration)

from make_fixture import B, C, D, E, L, N, M, P, Hd, Kc, Kt, Lp, g, h, hp, p  # noqa: E402

SEED = 20240612
LR = 1e-3
BETA1, BETA2 = 0.9, 0.999
ADAM_EPS = 1e-8
WEIGHT_DECAY = 0.04
MOMENTUM = 0.996
TARGET_LN_EPS = 1e-5  # F.layer_norm default, as in the official training loop

OUT_PATH = os.path.join(mf.REPO_ROOT, "Tests", "TrainingTests", "Fixtures", "ijepa_step.h5")

ENCODER_PREFIXES = ("patch_embed.", "blocks.", "norm.")


def is_encoder_param(name: str) -> bool:
    return name.startswith(ENCODER_PREFIXES)


def decays(name: str, shape) -> bool:
    return ("bias" not in name) and len(shape) > 1


# ---------------------------------------------------------------------------
# Pieces of the step
# ---------------------------------------------------------------------------
def make_targets(patches, tprm, pos, tgt_idx):
    """[M*B, Kt, E]: normalised full-image target features at the target positions."""
    with torch.no_grad():
        hf = mf.encoder(patches, tprm, pos, None)  # [B, N, E], includes final `norm`
        hf = F.layer_norm(hf, (hf.shape[-1],), eps=TARGET_LN_EPS)
        return torch.cat([mf.gather_tokens(hf, tgt_idx[m]) for m in range(tgt_idx.shape[0])], dim=0)


def predict(patches, prm, pos, ppos, ctx_idx, tgt_idx):
    z = mf.encoder(patches, prm, pos, ctx_idx)
    return mf.predictor(z, prm, ppos, ctx_idx, tgt_idx)


def adamw_first_step_explicit(params, grads):
    """PyTorch AdamW (decoupled decay), step 1, zero-initialised moments."""
    out = OrderedDict()
    bc1 = 1.0 - BETA1 ** 1
    bc2 = 1.0 - BETA2 ** 1
    for name, p0 in params.items():
        gr = grads[name]
        w = p0.clone()
        if decays(name, p0.shape):
            w = w * (1.0 - LR * WEIGHT_DECAY)
        m1 = (1.0 - BETA1) * gr
        v1 = (1.0 - BETA2) * gr * gr
        denom = v1.sqrt() / math.sqrt(bc2) + ADAM_EPS
        out[name] = w - (LR / bc1) * m1 / denom
    return out


def adamw_first_step_torch(params, grads, foreach):
    leaves = OrderedDict((k, v.detach().clone().requires_grad_(True)) for k, v in params.items())
    groups = [
        {"params": [t for k, t in leaves.items() if decays(k, t.shape)], "weight_decay": WEIGHT_DECAY},
        {"params": [t for k, t in leaves.items() if not decays(k, t.shape)], "weight_decay": 0.0},
    ]
    opt = torch.optim.AdamW(groups, lr=LR, betas=(BETA1, BETA2), eps=ADAM_EPS, foreach=foreach)
    for k, t in leaves.items():
        t.grad = grads[k].clone()
    opt.step()
    return OrderedDict((k, t.detach()) for k, t in leaves.items())


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------
def main() -> int:
    rng = np.random.default_rng(SEED)
    params_np = mf.init_params(rng)
    patches_np = rng.standard_normal((B, N, D)).astype(np.float32)
    ctx_idx_np = np.stack([np.sort(rng.choice(N, size=Kc, replace=False)) for _ in range(B)]).astype(np.int32)
    tgt_idx_np = np.stack([
        np.stack([rng.choice(N, size=Kt, replace=False) for _ in range(B)]) for _ in range(M)
    ]).astype(np.int32)

    pos_np = mf.sincos_2d(E, g)
    ppos_np = mf.sincos_2d(P, g)

    dt = torch.float64
    pos = torch.from_numpy(pos_np)
    ppos = torch.from_numpy(ppos_np)
    patches = torch.from_numpy(patches_np.astype(np.float64))
    ctx_idx = torch.from_numpy(ctx_idx_np.astype(np.int64))
    tgt_idx = torch.from_numpy(tgt_idx_np.astype(np.int64))

    prm = OrderedDict(
        (k, torch.tensor(v.astype(np.float64), dtype=dt, requires_grad=True)) for k, v in params_np.items()
    )
    enc_names = [k for k in prm if is_encoder_param(k)]
    pred_names = [k for k in prm if not is_encoder_param(k)]
    assert len(enc_names) == 4 + 12 * L and len(pred_names) == 3 + 12 * Lp + 4

    # 1. target encoder = exact copy, no gradient
    tprm = OrderedDict((k, prm[k].detach().clone()) for k in enc_names)

    # 2. targets
    targets = make_targets(patches, tprm, pos, tgt_idx)

    # 3.-5. prediction, loss, backward
    pred = predict(patches, prm, pos, ppos, ctx_idx, tgt_idx)
    loss = F.smooth_l1_loss(pred, targets)  # beta 1, mean
    loss_l2 = F.mse_loss(pred.detach(), targets)
    loss.backward()
    grads = OrderedDict((k, v.grad.detach().clone()) for k, v in prm.items())
    params0 = OrderedDict((k, v.detach().clone()) for k, v in prm.items())
    assert not any(t.requires_grad for t in tprm.values())

    # 6. AdamW
    after = adamw_first_step_explicit(params0, grads)

    # 7. EMA
    target_after = OrderedDict((k, MOMENTUM * tprm[k] + (1.0 - MOMENTUM) * after[k]) for k in enc_names)

    ok = True

    # -----------------------------------------------------------------------
    # Self-checks
    # -----------------------------------------------------------------------
    # (a) targets against an explicit per-element formulation
    with torch.no_grad():
        hf = mf.encoder(patches, tprm, pos, None)
        mu = hf.mean(-1, keepdim=True)
        var = ((hf - mu) ** 2).mean(-1, keepdim=True)
        hn = (hf - mu) / torch.sqrt(var + TARGET_LN_EPS)
        tgt_err = 0.0
        for m in range(M):
            for b in range(B):
                for k in range(Kt):
                    t = int(tgt_idx_np[m, b, k])
                    tgt_err = max(tgt_err, float((targets[m * B + b, k] - hn[b, t]).abs().max()))
        # (b) losses against explicit formulas
        d = pred.detach() - targets
        ad = d.abs()
        sl1 = torch.where(ad < 1.0, 0.5 * d * d, ad - 0.5).mean()
        l2 = (d * d).mean()
        loss_err = max(abs(sl1.item() - loss.item()), abs(l2.item() - loss_l2.item()))
        n_quad = int((ad < 1.0).sum())
        min_kink = float((ad - 1.0).abs().min())
    print(f"cross-checks: targets vs explicit LN+gather {tgt_err:.2e}, losses vs explicit formulas {loss_err:.2e}")
    print(f"smooth-L1 regimes: {n_quad} of {d.numel()} elements with |d|<1 (quadratic), "
          f"{d.numel() - n_quad} linear; min ||d|-1| = {min_kink:.3e}")
    if max(tgt_err, loss_err) > 1e-12 or n_quad == 0 or n_quad == d.numel():
        ok = False

    # (c) no gradient into the target path; every trainable tensor gets a gradient
    assert not targets.requires_grad and targets.grad_fn is None
    for k, v in grads.items():
        if torch.count_nonzero(v) == 0:
            print(f"zero gradient for {k}", file=sys.stderr)
            ok = False

    # (d) central finite differences of the loss vs autograd (targets held fixed)
    fd_rng = np.random.default_rng(SEED + 1)
    names = list(prm.keys())
    fd_eps = 1e-5
    max_rel = 0.0
    max_rel_big = 0.0
    n_checks = 0
    worst = None
    with torch.no_grad():
        def loss_at(pr):
            return F.smooth_l1_loss(predict(patches, pr, pos, ppos, ctx_idx, tgt_idx), targets).item()

        picks = [(nm, int(fd_rng.integers(prm[nm].numel()))) for nm in names]
        picks += [(nm, None) for nm in (names[int(fd_rng.integers(len(names)))] for _ in range(20))]
        for nm, flat in picks:
            t = prm[nm]
            if flat is None:
                flat = int(fd_rng.integers(t.numel()))
            view = t.view(-1)
            orig = view[flat].item()
            view[flat] = orig + fd_eps
            lp = loss_at(prm)
            view[flat] = orig - fd_eps
            lm = loss_at(prm)
            view[flat] = orig
            fd = (lp - lm) / (2 * fd_eps)
            ag = grads[nm].view(-1)[flat].item()
            # gradients are O(1e-2..1e-1) here (mean over M*B*Kt*E elements); the
            # floor of 1e-4 judges entries whose true gradient is ~0 (attention key
            # bias) by absolute error.
            rel = abs(fd - ag) / max(abs(fd), abs(ag), 1e-4)
            if worst is None or rel > max_rel:
                worst = (nm, flat, fd, ag)
            max_rel = max(max_rel, rel)
            if abs(ag) > 1e-4:
                max_rel_big = max(max_rel_big, abs(fd - ag) / abs(ag))
            n_checks += 1
    print(f"finite-difference self-check: {n_checks} entries, max relative error {max_rel:.3e} "
          f"(worst: {worst[0]}[{worst[1]}] fd={worst[2]:.10g} autograd={worst[3]:.10g}); "
          f"entries with |g| > 1e-4: max relative error {max_rel_big:.3e}")
    if max_rel > 1e-5:
        ok = False

    # (e) explicit AdamW vs torch.optim.AdamW (two param groups), both code paths
    adam_err = 0.0
    for foreach in (False, True):
        ref = adamw_first_step_torch(params0, grads, foreach)
        for k in names:
            adam_err = max(adam_err, float((ref[k] - after[k]).abs().max()))
    # decay groups as documented
    decayed = [k for k in names if decays(k, params0[k].shape)]
    assert "mask_token" in decayed and "patch_embed.proj.weight" in decayed
    assert not any(k.endswith("bias") or ".norm" in k or k.startswith(("norm.", "predictor_norm.")) for k in decayed)
    print(f"AdamW: explicit vs torch.optim.AdamW (foreach False/True) max abs diff {adam_err:.2e}; "
          f"{len(decayed)} of {len(names)} tensors decayed")
    if adam_err > 1e-15:
        ok = False

    # (f) EMA against torch's in-place formulation used by the official loop
    ema_err = 0.0
    for k in enc_names:
        t = tprm[k].clone()
        t.mul_(MOMENTUM).add_((1.0 - MOMENTUM) * after[k])
        ema_err = max(ema_err, float((t - target_after[k]).abs().max()))
    print(f"EMA: explicit vs in-place mul_/add_ max abs diff {ema_err:.2e}")
    if ema_err > 1e-15:
        ok = False

    # Informative. On step 1, Adam's update is -lr * g / (|g| + adam_eps), i.e. ~ -lr*sign(g)
    # whenever |g| >> adam_eps. Entries whose reference gradient is round-off (the attention key
    # bias, whose exact gradient is 0) or small against float32 gradient error can therefore move
    # by up to lr in either direction in a float32 implementation.
    allg = torch.cat([grads[k].abs().view(-1) for k in names])
    key_bias = []
    for k in names:
        if k.endswith("attn.qkv.bias"):
            w = E if k.startswith("blocks.") else P
            key_bias.append(grads[k].abs().view(-1)[w:2 * w])
    key_bias = torch.cat(key_bias)
    print(f"|grad| over {allg.numel()} entries: median {allg.median().item():.3e}, max {allg.max().item():.3e}; "
          f"attention key-bias entries ({key_bias.numel()}): max {key_bias.max().item():.3e}")
    for thr in (1e-7, 1e-6, 1e-5, 1e-4):
        n_small = int((allg < thr).sum()) - int((key_bias < thr).sum())
        print(f"  entries with |g| < {thr:.0e} (excluding key bias): {n_small}")

    if not ok:
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
        f.attrs["mlp_ratio"] = np.float64(mf.mlp_ratio)
        f.attrs["ln_eps"] = np.float64(mf.LN_EPS)
        f.attrs["lr"] = np.float64(LR)
        f.attrs["weight_decay"] = np.float64(WEIGHT_DECAY)
        f.attrs["momentum"] = np.float64(MOMENTUM)
        f.attrs["beta1"] = np.float64(BETA1)
        f.attrs["beta2"] = np.float64(BETA2)
        f.attrs["adam_eps"] = np.float64(ADAM_EPS)
        f.attrs["target_ln_eps"] = np.float64(TARGET_LN_EPS)

        f.create_dataset("input/patches", data=patches_np)
        f.create_dataset("input/ctx_idx", data=ctx_idx_np)
        f.create_dataset("input/tgt_idx", data=tgt_idx_np)
        for k, v in params_np.items():
            f.create_dataset(f"params/{k}", data=v)
        f.create_dataset("output/targets", data=targets.numpy())
        f.create_dataset("output/pred", data=pred.detach().numpy())
        f.create_dataset("output/loss", data=np.float64(loss.item()))
        f.create_dataset("output/loss_l2", data=np.float64(loss_l2.item()))
        for k, v in grads.items():
            f.create_dataset(f"grads/{k}", data=v.numpy())
        for k, v in after.items():
            f.create_dataset(f"after_step/{k}", data=v.numpy())
        for k, v in target_after.items():
            f.create_dataset(f"target_after_ema/{k}", data=v.numpy())
    os.replace(tmp_path, OUT_PATH)

    # -----------------------------------------------------------------------
    # Summary
    # -----------------------------------------------------------------------
    print(f"wrote {OUT_PATH} ({os.path.getsize(OUT_PATH)} bytes)")
    print(f"loss (smooth L1) = {loss.item():.17g}")
    print(f"loss_l2 (MSE)    = {loss_l2.item():.17g}")
    with h5py.File(OUT_PATH, "r") as f:
        print("attributes:", {k: f.attrs[k].item() for k in f.attrs})

        def show(name, obj):
            if isinstance(obj, h5py.Dataset) and not name.startswith(("params/", "grads/", "after_step/",
                                                                       "target_after_ema/")):
                print(f"  {name:55s} {str(obj.dtype):8s} {list(obj.shape)}")
        f.visititems(show)
        for grp in ("params", "grads", "after_step", "target_after_ema"):
            print(f"  {grp}/<name>: {len(f[grp])} datasets, {f[grp][next(iter(f[grp]))].dtype}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
