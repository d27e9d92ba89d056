#!/usr/bin/env python3
"""Convert between this pipeline's safetensors weights and the official I-JEPA
checkpoint layout (facebookresearch/ijepa, src/train.py `save_checkpoint`,
read by src/helper.py `load_checkpoint`). Development side: needs torch,
numpy and safetensors (`make venv`).

    ijepa_checkpoint.py to-official   STATE.safetensors   OUT.pth.tar
    ijepa_checkpoint.py from-official IN.pth.tar          OUT.safetensors [--target-only]
    ijepa_checkpoint.py round-trip    STATE.safetensors   (to-official, back, compare)

STATE.safetensors is `Pretrain --export FILE --export-state` (`make export
STATE=1`): tensors `encoder.<name>`, `predictor.<name>`, `target_encoder.<name>`
under the official state_dict names (pos_embed included) and AdamW moments
`opt.<module>.exp_avg.<name>` / `opt.<module>.exp_avg_sq.<name>`, with step,
epoch and config in the metadata. The official layout is a torch.save dict:
`encoder`, `predictor`, `target_encoder` (DistributedDataParallel names, with
the `module.` prefix), `opt` (AdamW state_dict with the four parameter groups
of helper.init_opt), `scaler`, `epoch`, `loss`, `batch_size`,
`world_size`, `lr` (`scaler` holds a fresh GradScaler's state when the config
sets meta.use_bfloat16, as the official loader then expects one). `--target-only` writes the target encoder alone, under its
plain names: what `meta.init_from` and Probe read, and what
`VisionTransformer.load_state_dict` takes.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import struct
import sys
from collections import OrderedDict

import torch
from safetensors.torch import load_file, save_file

MODULES = ("encoder", "predictor", "target_encoder")
FROZEN = {"pos_embed", "predictor_pos_embed"}  # requires_grad=False: in the groups, never in the optimizer state
# The official named_parameters order (src/models/vision_transformer.py): a
# module's own parameters, then its children's in the order __init__ makes them.
TOP = ["pos_embed", "mask_token", "predictor_pos_embed", "patch_embed", "predictor_embed", "blocks", "predictor_blocks",
       "norm", "predictor_norm", "predictor_proj"]
IN_BLOCK = ["norm1", "attn.qkv", "attn.proj", "norm2", "mlp.fc1", "mlp.fc2"]


# A fresh torch.cuda.amp.GradScaler's state: with meta.use_bfloat16 the
# official load_checkpoint loads one, and a None there makes it give up and
# restart at epoch 0.
FRESH_SCALER = {"scale": 65536.0, "growth_factor": 2.0, "backoff_factor": 0.5, "growth_interval": 2000,
                "_growth_tracker": 0}


def die(msg: str) -> None:
    sys.exit(f"ijepa_checkpoint: {msg}")


def atomically(dst: str, write) -> None:
    """write(tmp) then rename, so dst is never a half-written file."""
    tmp = f"{dst}.tmp-{os.getpid()}"
    try:
        write(tmp)
        os.replace(tmp, dst)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def decayed(name: str, t: torch.Tensor) -> bool:
    """helper.init_opt's rule: weight decay for every parameter but biases and 1-D ones."""
    return ("bias" not in name) and t.dim() != 1


def official_order(name: str):
    """Sort key that puts a module's parameter names in the official order, whatever order a file lists them in."""
    parts = name.split(".")
    if parts[0] not in TOP:
        die(f"{name}: not a parameter of the official VisionTransformer or predictor")
    top = TOP.index(parts[0])
    if parts[0] in ("blocks", "predictor_blocks"):
        inner = ".".join(parts[2:-1])
        return (top, int(parts[1]), IN_BLOCK.index(inner), parts[-1] != "weight")
    return (top, 0, 0, parts[-1] != "weight")


def metadata(path: str) -> dict[str, str]:
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        return json.loads(f.read(n)).get("__metadata__", {})


def module_names(names, module: str) -> list[str]:
    """A module's parameter names in the official order."""
    own = [n[len(module) + 1:] for n in names if n.startswith(module + ".")]
    return sorted(own, key=official_order)


def official_optimizer(enc: OrderedDict, pred: OrderedDict, moments: dict, adam_step: int, lr: float):
    """helper.init_opt's AdamW over parameters of these shapes, its state set to our moments."""
    def params(sd, wanted):
        out = []
        for n, t in sd.items():
            if decayed(n, t) == wanted:
                out.append((n, torch.nn.Parameter(t.clone(), requires_grad=n not in FROZEN)))
        return out

    groups = [("encoder", params(enc, True)), ("predictor", params(pred, True)),
              ("encoder", params(enc, False)), ("predictor", params(pred, False))]
    opt = torch.optim.AdamW([
        {"params": [p for _, p in groups[0][1]]}, {"params": [p for _, p in groups[1][1]]},
        {"params": [p for _, p in groups[2][1]], "WD_exclude": True, "weight_decay": 0},
        {"params": [p for _, p in groups[3][1]], "WD_exclude": True, "weight_decay": 0}], lr=lr)
    for module, named in groups:
        for n, p in named:
            if n in FROZEN:
                continue
            opt.state[p] = {"step": torch.tensor(float(adam_step)),
                            "exp_avg": moments[f"opt.{module}.exp_avg.{n}"].clone(),
                            "exp_avg_sq": moments[f"opt.{module}.exp_avg_sq.{n}"].clone()}
    return opt.state_dict(), groups


def to_official(src: str, dst: str) -> None:
    tensors, meta = load_file(src), metadata(src)
    names = list(tensors)
    if meta.get("content") != "training_state":
        die(f"{src}: not a training-state export (Pretrain --export FILE --export-state); content is {meta.get('content')!r}")
    sd = {m: OrderedDict((n, tensors[f"{m}.{n}"]) for n in module_names(names, m)) for m in MODULES}
    config = json.loads(meta.get("config", "{}"))
    opt, _ = official_optimizer(sd["encoder"], sd["predictor"], tensors, int(meta["adam_step"]),
                                float(config.get("optimization.lr", 0.001)))
    checkpoint = {
        **{m: OrderedDict(("module." + n, t) for n, t in sd[m].items()) for m in MODULES},
        "opt": opt,
        "scaler": dict(FRESH_SCALER) if config.get("meta.use_bfloat16") else None,
        "epoch": int(meta["epoch"]),
        "loss": float(meta.get("loss", "nan")),
        "batch_size": int(config.get("data.batch_size", 0)),
        "world_size": 1,
        "lr": float(config.get("optimization.lr", 0.001)),
    }
    atomically(dst, lambda tmp: torch.save(checkpoint, tmp))
    print(f"{dst}: official layout, epoch {checkpoint['epoch']}, {sum(len(v) for v in sd.values())} tensors")


def from_official(src: str, dst: str, target_only: bool) -> None:
    ck = torch.load(src, map_location="cpu", weights_only=False)
    missing = [k for k in MODULES + ("opt", "epoch") if k not in ck]
    if missing:
        die(f"{src}: not an official I-JEPA checkpoint (lacks {', '.join(missing)})")

    def strip(sd):
        plain = {(k[len("module."):] if k.startswith("module.") else k): v.float().contiguous() for k, v in sd.items()}
        return OrderedDict((k, plain[k]) for k in sorted(plain, key=official_order))

    sd = {m: strip(ck[m]) for m in MODULES}
    enc = sd["target_encoder"]
    model = {"embed_dim": enc["pos_embed"].shape[2], "grid_size": math.isqrt(enc["pos_embed"].shape[1]),
             "patch_size": enc["patch_embed.proj.weight"].shape[2], "channels": enc["patch_embed.proj.weight"].shape[1],
             "depth": len({k.split(".")[1] for k in enc if k.startswith("blocks.")})}
    meta = {"format": "ijepa-swift", "source": "official I-JEPA checkpoint", "epoch": str(ck["epoch"]),
            "model": json.dumps(model, sort_keys=True)}
    if target_only:
        atomically(dst, lambda tmp: save_file(dict(enc), tmp, metadata={**meta, "content": "target_encoder"}))
        print(f"{dst}: target encoder, {len(enc)} tensors, {model}")
        return
    out = OrderedDict()
    for m in MODULES:
        for n, t in sd[m].items():
            out[f"{m}.{n}"] = t
    # Moments by the parameters' places in the four groups.
    opt_state, groups = ck["opt"]["state"], ck["opt"]["param_groups"]
    order = [(module, n) for module, wanted in (("encoder", True), ("predictor", True), ("encoder", False), ("predictor", False))
             for n, t in sd[module].items() if decayed(n, t) == wanted]
    indices = [i for g in groups for i in g["params"]]
    if len(indices) != len(order):
        die(f"{src}: the optimizer has {len(indices)} parameters, the modules {len(order)}")
    steps = set()
    for i, (module, n) in zip(indices, order):
        if n in FROZEN:
            continue
        st = opt_state.get(i)
        if st is None and opt_state:
            die(f"{src}: no optimizer state for {module}.{n} (parameter {i})")
        if st is None:  # saved before the first step: the moments are zeros
            st = {"step": 0, "exp_avg": torch.zeros_like(sd[module][n]), "exp_avg_sq": torch.zeros_like(sd[module][n])}
        out[f"opt.{module}.exp_avg.{n}"] = st["exp_avg"].float().contiguous()
        out[f"opt.{module}.exp_avg_sq.{n}"] = st["exp_avg_sq"].float().contiguous()
        steps.add(int(st["step"]))
    if len(steps) != 1:
        die(f"{src}: parameters disagree on the Adam step ({sorted(steps)})")
    adam_step = steps.pop()
    atomically(dst, lambda tmp: save_file(out, tmp, metadata={
        **meta, "content": "training_state", "adam_step": str(adam_step), "step": str(adam_step),
        "loss": str(float(ck.get("loss", float("nan"))))}))
    print(f"{dst}: training state, {len(out)} tensors, Adam step {adam_step}")


def round_trip(src: str) -> None:
    """to-official then from-official: every tensor and the step come back bit for bit."""
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        official, back = os.path.join(d, "official.pth.tar"), os.path.join(d, "back.safetensors")
        to_official(src, official)
        from_official(official, back, target_only=False)
        a, b = load_file(src), load_file(back)
        if set(a) != set(b):
            die(f"round trip: names differ: {sorted(set(a) ^ set(b))}")
        bad = [k for k in a if not torch.equal(a[k], b[k])]
        if bad:
            die(f"round trip: {len(bad)} tensors differ, first {bad[0]}")
        if metadata(src)["adam_step"] != metadata(back)["adam_step"]:
            die("round trip: Adam step differs")
        print(f"round trip: {len(a)} tensors identical, Adam step {metadata(back)['adam_step']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("to-official")
    a.add_argument("src")
    a.add_argument("dst")
    b = sub.add_parser("from-official")
    b.add_argument("src")
    b.add_argument("dst")
    b.add_argument("--target-only", action="store_true")
    c = sub.add_parser("round-trip")
    c.add_argument("src")
    args = ap.parse_args()
    if args.cmd == "to-official":
        to_official(args.src, args.dst)
    elif args.cmd == "from-official":
        from_official(args.src, args.dst, args.target_only)
    else:
        round_trip(args.src)


if __name__ == "__main__":
    main()
