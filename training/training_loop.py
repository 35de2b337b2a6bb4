"""One model's training: the normalisation fitted on its training speakers, then AdamW with a
one-cycle schedule on batches from pool.Pool (train.py runs it for every fold, each
leave-one-corpus-out model and the final model)."""
from __future__ import annotations

import json
import time

import numpy as np
import torch
import torch.nn.functional as F

from networks import EmotionTdnn
from pool import Pool


def set_normalization(meta: dict, pool: Pool, rng) -> None:
    """prior_mean: mean of the active frames of the training speech; scale: the spread of
    the normalised input over sampled training crops."""
    s = sum(it["hist"][0] for it in pool.items)
    c = sum(it["hist"][1] for it in pool.items)
    spec = meta["normalization"]
    spec["prior_mean"] = [round(float(v), 5) for v in s / c]
    spec["scale"] = [1.0] * pool.D.shape[1]
    x, _, _ = pool.sample(rng, 512, meta["window_frames"])
    x = x[:, :, :pool.D.shape[1]]
    spec["scale"] = [round(float(v), 5) for v in x.reshape(-1, x.shape[-1]).std(dim=0).numpy() + 1e-3]


def train_model(items, nonspeech, meta, args, seed, steps=None, ns_pitch=None):
    """A model trained on `items` (and the non-speech clips) with its own copy of `meta`,
    whose normalisation it sets: returns (model in eval mode, that metadata)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    meta = json.loads(json.dumps(meta))
    pool = Pool(items, nonspeech, meta)
    pool.aug = {k: getattr(args, f"aug_{k}") for k in Pool.aug}
    pool.no_history = args.no_history
    pool.ns_pitch = ns_pitch
    set_normalization(meta, pool, rng)
    model = EmotionTdnn(pool.D.shape[1] + (2 if args.pitch else 0), len(meta["labels"]))
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-3)
    steps = steps or args.steps
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps)
    n = len(meta["labels"])
    started = time.time()
    for step in range(steps):
        model.train()
        x, y_emotion, y_speech = pool.sample(rng, args.batch, args.crop_frames)
        if args.mask:  # SpecAugment on the normalised input: a band of coefficients, a stretch of time
            x = mask_batch(x, rng)
        out = model(x)
        is_speech = y_emotion >= 0
        loss = F.binary_cross_entropy_with_logits(out[:, n], y_speech)
        if is_speech.any():
            loss = loss + F.cross_entropy(out[is_speech, :n], y_emotion[is_speech], label_smoothing=0.1)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 100 == 0:
            print(f"    step {step}/{steps} loss {loss.item():.3f} ({time.time() - started:.0f} s)", flush=True)
    model.eval()
    return model, meta


def mask_batch(x: torch.Tensor, rng) -> torch.Tensor:
    x = x.clone()
    for b in range(len(x)):
        c = int(rng.integers(1, 9)); c0 = int(rng.integers(1, x.shape[2] - c))  # never c0, the level
        x[b, :, c0:c0 + c] = 0
        t = int(rng.integers(0, x.shape[1] // 8)); t0 = int(rng.integers(0, x.shape[1] - t))
        x[b, t0:t0 + t] = 0
    return x
