"""Chooses the personal-profile method of issue 25 by experiment, with the shipped network frozen.

    python training/personal.py --model emotion4                 # every corpus, 5 draws: table + JSON
    python training/personal.py --model emotion4 --quick 2       # 2 speakers per corpus, 1 draw (a smoke test)

Light dependencies, no torch: onnx, onnxruntime, numpy, scipy, librosa, soundfile (the
venv of refit_speech.py). Reuses data.py (clips, cached log-mels), refit_speech.py (the
`Network` exposing the pooled embedding, the `Windows` the engine cuts) and scoring.py.

Protocol (issue 25 item 5): every speaker of RAVDESS (actors 01-22), nEMO and the Korean
corpus is held out in turn. For K = 1, 2, 4 clips per label and several random draws per
speaker, K clips of each of the model's labels are *enrolled*; they are never scored, and
no scored clip says the words of an enrolment clip (RAVDESS: the statement, nEMO and Korean:
the `text` column; the draw adds one clip at a time, preferring words already enrolled, so
RAVDESS enrols from one statement and scores the other). Each scored clip is classified by
 - global: the model alone (the CLI's windows, 1 s hop; the clip rule: mean probabilities
   over the windows heard as speech),
 - calibrated: the model with the enrolled neutral clips as calibration history
   (the engine's speaker calibration, CONTRACT §2),
 - personal: each candidate method on top of the calibrated model (see METHODS), its
   hyperparameters chosen by nested leave-one-speaker-out over all three corpora (never on
   the scored speaker), one setting for every K; and again choosing them on the other
   corpora only (leave-one-corpus-out for the hyperparameters).
Missing labels (a profile of 2 or 3 labels) are measured at K = 2 by dropping labels from
the same draws: the personal part only redistributes the global probability mass of the
enrolled labels; a label without clips keeps its global probability.

The network was trained on every RAVDESS 01-22 and nEMO speaker (no fold models exist on
this machine), so RAVDESS and nEMO numbers are optimistic for the global and calibrated rows;
Korean was never trained on. Results: models/personal-<model>.json. Embeddings are cached in
data.py's cache directory (training/cache/, git-ignored). RAVDESS actors 23-24, EmoDB and
URDU are never read.
"""
from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")  # one core: BLAS threads only spin on a shared machine

import argparse
import csv
import hashlib
import json
import platform
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from scipy.optimize import minimize

import data
from data import CACHE, DATA, attach_features, load_clips
from features import REPO, load_metadata, window_starts
from normalize import active_frames, frame_levels
from refit_speech import Network, Windows
from scoring import scores

MODELS = REPO / "models"
RECIPE = 1  # bump when what is cut or embedded changes (cache keys)
CORPORA = ("ravdess", "nemo", "korean")
data.CORPORA.setdefault("korean", {"speaker": "speaker", "key": lambda s: f"korean-{s}"})

# ---------------------------------------------------------------------------- clips


def clips(meta: dict) -> list[dict]:
    labels = meta["labels"]
    mapping = {e: e for e in labels}
    mapping.update(meta.get("label_aliases", {}))
    items = load_clips(list(CORPORA), mapping, labels)
    items = [it for it in items if not (it["corpus"] == "ravdess" and int(it["speaker"][8:]) > 22)]
    words = {}
    for corpus in CORPORA:
        for r in csv.DictReader(open(DATA / corpus / "manifest.csv")):
            words[f"{corpus}/{r['path']}"] = f"statement{r['statement']}" if corpus == "ravdess" else r["text"]
    for it in items:
        it["words"] = words[it["path"]]
    return items


# ---------------------------------------------------------------------------- embeddings


def feature_stats(win: Windows, lm: np.ndarray, starts: list[int]) -> np.ndarray:
    """[windows, 2 n_mfcc]: mean and standard deviation of the raw MFCC over the frames of each
    window that the normaliser's level rule calls active (all its frames when fewer than 25)."""
    m = (np.maximum(lm, win.silence_db) @ win.D).astype(np.float64)
    if len(m) < win.W:
        pad = np.full((win.W - len(m), lm.shape[1]), win.silence_db) @ win.D
        m = np.concatenate([m, pad])
    act = active_frames(frame_levels(m, win.n_mels), win.meta["normalization"], win.hop_s)
    out = []
    for s in starts:
        x, a = m[s:s + win.W], act[s:s + win.W]
        x = x[a] if a.sum() >= MIN_ACTIVE_FRAMES else x
        out.append(np.concatenate([x.mean(0), x.std(0)]))
    return np.array(out, dtype=np.float32)


def starts_of(win: Windows, lm: np.ndarray) -> list[int]:
    return window_starts(max(len(lm), win.W), win.W, 100)


def embed_clips(net: Network, win: Windows, lms: list[np.ndarray], history=None) -> list[dict]:
    """Per clip: logits [windows, 5] and pooled embedding [windows, 192] of the CLI's windows."""
    xs = [win.cut(lm.copy(), 100, history) for lm in lms]
    lg, emb = net.embed(np.concatenate(xs)) if xs else (np.zeros((0, 5)), np.zeros((0, 192)))
    out, at = [], 0
    for x in xs:
        out.append({"logits": lg[at:at + len(x)], "emb": emb[at:at + len(x)]})
        at += len(x)
    return out


def history_of(win: Windows, lms: list[np.ndarray]):
    """The calibration history of some clips: sum and count of their active MFCC frames."""
    parts = [win.hist(np.maximum(lm, win.silence_db)) for lm in lms]
    return sum(p[0] for p in parts), sum(p[1] for p in parts)


def cache_path(kind: str, key) -> Path:
    return CACHE / "personal" / f"{kind}-{hashlib.sha256(json.dumps(key).encode()).hexdigest()[:16]}.npz"


def save(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, lengths=np.array([len(r["emb"]) for r in rows]), logits=np.concatenate([r["logits"] for r in rows]),
             emb=np.concatenate([r["emb"] for r in rows]))
    tmp.rename(path)


def load(path: Path) -> list[dict]:
    z = np.load(path)
    lengths, logits, emb = z["lengths"], z["logits"], z["emb"]
    out, at = [], 0
    for n in lengths:
        out.append({"logits": logits[at:at + n], "emb": emb[at:at + n]})
        at += n
    return out


# ---------------------------------------------------------------------------- draws


def draw(rng: np.random.Generator, members: list[int], items: list[dict], k: int, n_labels: int):
    """K enrolment clips per label, one at a time, preferring words already enrolled; the
    scored clips are the speaker's clips whose words no enrolment clip said. None when the
    speaker cannot give K clips of every label and still leave a clip of every label to score."""
    pool, enrol = set(), {}
    for label in rng.permutation(n_labels):
        chosen = []
        for _ in range(k):
            cands = [i for i in members if items[i]["label"] == label and i not in chosen]
            if not cands:
                return None
            same = [i for i in cands if items[i]["words"] in pool]
            i = int(rng.choice(same if same else cands))
            chosen.append(i)
            pool.add(items[i]["words"])
        enrol[int(label)] = sorted(chosen)
    scored = [i for i in members if items[i]["words"] not in pool]
    if len({items[i]["label"] for i in scored}) < n_labels:
        return None
    return enrol, scored


# ---------------------------------------------------------------------------- methods


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# A window's MFCC statistics use its active frames when it has this many (else all frames);
# a person's spread of each statistic is floored at this share of the global one.
MIN_ACTIVE_FRAMES = 25
FEATURE_STD_FLOOR = 0.1

EUCLID_T = [0.05, 0.1, 0.2, 0.5, 1.0, 2.0]
COSINE_T = [0.02, 0.05, 0.1, 0.2, 0.5]
LR_LAMBDA = [1.0, 10.0, 100.0]
K0 = [0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0]  # 0: the personal probabilities alone
MIXES = ["linear", "geometric"]

# name -> (space, centring, scaling, score, base); see docs/personal-profile.md
METHODS = {
    "emb_euclid": ("emb", "none", "global", "euclid", "cal"),
    "emb_euclid_raw": ("emb", "none", "global", "euclid", "raw"),
    "emb_cosine_centred": ("emb", "person", "global", "cosine", "cal"),
    "emb_cosine_neutral": ("emb", "neutral", "global", "cosine", "cal"),
    "emb_euclid_personstd": ("emb", "person", "person", "euclid", "cal"),
    "feat_euclid_personstd": ("feat", "person", "person", "euclid", "cal"),
    "feat_cosine_personstd": ("feat", "person", "person", "cosine", "cal"),
    "both_euclid": ("both", "person", "global|person", "euclid", "cal"),
    "both_cosine": ("both", "person", "global|person", "cosine", "cal"),
    "emb_logistic": ("emb", "person", "global", "logistic", "cal"),
    "emb_head_adapt": ("emb", "person", "global", "adapt", "cal"),
}


def grid_of(method: str) -> list[tuple]:
    score = METHODS[method][3]
    firsts = {"euclid": EUCLID_T, "cosine": COSINE_T, "logistic": LR_LAMBDA, "adapt": LR_LAMBDA}[score]
    return [(a, k0, mix) for a in firsts for k0 in K0 for mix in MIXES]


def fit_logistic(z: np.ndarray, y: np.ndarray, n: int, lam: float, offset: np.ndarray | None = None,
                 penalise_bias: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression on softmax(offset + z W^T + b): sum of NLL + lam/2 |W|^2
    (+ lam/2 |b|^2 when penalise_bias), L-BFGS. `offset` (the global logits) makes it an
    adaptation of the global head."""
    d = z.shape[1]
    onehot = np.eye(n)[y]
    off = np.zeros((len(y), n)) if offset is None else offset
    bl = lam if penalise_bias else 0.0

    def f(theta):
        W, b = theta[:n * d].reshape(n, d), theta[n * d:]
        p = softmax(off + z @ W.T + b)
        nll = -np.log(p[np.arange(len(y)), y] + 1e-12).sum() + lam / 2 * (W ** 2).sum() + bl / 2 * (b ** 2).sum()
        g = p - onehot
        return nll, np.concatenate([(g.T @ z + lam * W).ravel(), g.sum(0) + bl * b])

    res = minimize(f, np.zeros(n * d + n), jac=True, method="L-BFGS-B", options={"maxiter": 200})
    return res.x[:n * d].reshape(n, d), res.x[n * d:]


class Scorer:
    """Scores one draw: every method at every grid point."""

    def __init__(self, labels: list[str], temperature: float, speech_threshold: float, gstd: dict):
        self.n, self.t, self.st, self.gstd = len(labels), temperature, speech_threshold, gstd

    def window_probs(self, rows):
        lg = np.concatenate([r["logits"] for r in rows])
        pg = softmax(lg[:, :self.n] / self.t)
        speech = 1 / (1 + np.exp(-lg[:, self.n])) >= self.st
        return pg, speech

    @staticmethod
    def clip_vectors(rows, key):
        out = []
        for r in rows:
            sp = r["speech"]
            out.append(r[key][sp].mean(0) if sp.any() else r[key].mean(0))
        return np.array(out, dtype=np.float64)

    def transform(self, space, centring, scaling, enrol_rows, enrol_labels, scored_rows):
        """(enrolled clip vectors, scored window vectors), transformed; and the split of
        dimensions per block (for the 'both' space)."""
        blocks = []
        for sp in (["emb", "feat"] if space == "both" else [space]):
            e = self.clip_vectors(enrol_rows, sp)
            x = np.concatenate([r[sp] for r in scored_rows]).astype(np.float64)
            mean = e.mean(0)
            if centring == "neutral" and (enrol_labels == 0).any():
                c = e[enrol_labels == 0].mean(0)
            elif centring in ("person", "neutral"):
                c = mean
            else:
                c = np.zeros_like(mean)
            scale_kind = scaling.split("|")[0] if sp == "emb" else scaling.split("|")[-1]
            if scale_kind == "global":
                s = self.gstd[sp]
            else:  # the person's own spread over the enrolled clips, floored at a tenth of the global one
                s = np.maximum(e.std(0), FEATURE_STD_FLOOR * self.gstd[sp])
            blocks.append(((e - c) / s, (x - c) / s))
        return blocks

    def personal_logits(self, method, enrol_rows, enrol_labels, scored_rows, present, first):
        """[windows, len(present)] personal scores (before the temperature) for grid value `first`."""
        space, centring, scaling, score, _ = METHODS[method]
        blocks = self.transform(space, centring, scaling, enrol_rows, enrol_labels, scored_rows)
        if score == "logistic":
            (e, x), = blocks
            y = np.searchsorted(present, enrol_labels)
            W, b = fit_logistic(e, y, len(present), first)
            return x @ W.T + b
        if score == "adapt":
            (e, x), = blocks
            y = np.searchsorted(present, enrol_labels)
            ge = self.clip_vectors(enrol_rows, "logits")[:, present] / self.t
            gx = np.concatenate([r["logits"] for r in scored_rows])[:, present] / self.t
            W, b = fit_logistic(e, y, len(present), first, offset=ge, penalise_bias=True)
            return gx + x @ W.T + b
        total = 0
        for e, x in blocks:
            protos = np.stack([e[enrol_labels == l].mean(0) for l in present])
            if score == "euclid":
                d2 = ((x[:, None, :] - protos[None]) ** 2).mean(-1)
                total = total - d2
            else:
                xn = x / (np.linalg.norm(x, axis=1, keepdims=True) + 1e-9)
                pn = protos / (np.linalg.norm(protos, axis=1, keepdims=True) + 1e-9)
                total = total + xn @ pn.T
        return total / len(blocks)

    def mix(self, pg, s_pers, present, t, k0, mix, k):
        """Global probabilities [windows, n] and personal scores → mixed probabilities."""
        pp = softmax(s_pers / t)
        mass = pg[:, present].sum(1, keepdims=True)
        full = pg.copy()
        full[:, present] = mass * pp
        w = 1.0 if k0 == 0 else k / (k + k0)
        if mix == "linear":
            return (1 - w) * pg + w * full
        lp = (1 - w) * np.log(pg + 1e-12) + w * np.log(full + 1e-12)
        return softmax(lp)

    def decide(self, p, speech, clip_of, n_clips):
        """The clip rule: mean over speech windows; n (no speech) when none."""
        pred = np.full(n_clips, self.n)
        sums = np.zeros((n_clips, self.n))
        np.add.at(sums, clip_of[speech], p[speech])
        has = np.bincount(clip_of[speech], minlength=n_clips) > 0
        pred[has] = sums[has].argmax(1)
        return pred


# ---------------------------------------------------------------------------- main


def confusion(true, pred, n):
    c = np.zeros((n, n + 1), dtype=np.int64)
    np.add.at(c, (true, pred), 1)
    return c


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="emotion4")
    parser.add_argument("--draws", type=int, default=5, help="random enrolment draws per speaker and K")
    parser.add_argument("--ks", default="1,2,4")
    parser.add_argument("--seed", type=int, default=25)
    parser.add_argument("--quick", type=int, default=0, help="only this many speakers per corpus (smoke test)")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None, help="default models/personal-<model>.json")
    args = parser.parse_args()
    started = time.time()
    meta = load_metadata(MODELS / f"{args.model}.json")
    labels, n = meta["labels"], len(meta["labels"])
    model_path = MODELS / f"{args.model}.onnx"
    model_sha = hashlib.sha256(model_path.read_bytes()).hexdigest()
    net = Network(onnx.load(str(model_path)), args.threads)
    win = Windows(meta)
    ks = [int(k) for k in args.ks.split(",")]
    methods = args.methods.split(",")

    items = clips(meta)
    speakers = {}
    for i, it in enumerate(items):
        speakers.setdefault(it["speaker"], []).append(i)
    if args.quick:
        keep = set()
        for c in CORPORA:
            keep |= set(sorted(s for s in speakers if s.startswith(c))[:args.quick])
        speakers = {s: m for s, m in speakers.items() if s in keep}
        items_needed = sorted(i for m in speakers.values() for i in m)
    else:
        items_needed = list(range(len(items)))
    print(f"{len(items_needed)} clips, {len(speakers)} speakers", flush=True)
    attach_features(items, meta, noisy_copies=0) if not args.quick else attach_features(
        [items[i] for i in items_needed], meta, noisy_copies=0)

    # The model alone on every clip (cached), and the feature statistics of its windows.
    raw_path = cache_path("raw", [RECIPE, model_sha, [items[i]["path"] for i in items_needed]])
    if raw_path.exists():
        raw_rows = load(raw_path)
    else:
        t0 = time.time()
        raw_rows = embed_clips(net, win, [items[i]["logmel"] for i in items_needed])
        save(raw_path, raw_rows)
        print(f"raw embeddings: {sum(len(r['emb']) for r in raw_rows)} windows in {time.time() - t0:.0f} s", flush=True)
    raw = {}
    for i, r in zip(items_needed, raw_rows):
        lm = items[i]["logmel"]
        r["feat"] = feature_stats(win, lm, starts_of(win, lm))
        assert len(r["feat"]) == len(r["emb"]), items[i]["path"]
        r["speech"] = 1 / (1 + np.exp(-r["logits"][:, n])) >= meta["speech"]["threshold"]
        raw[i] = r

    # Global spread of the embedding and the feature statistics: the clips the network was
    # trained on (RAVDESS 01-22, nEMO), never Korean, so Korean stays unseen.
    trained = [i for i in items_needed if items[i]["corpus"] != "korean"]
    gstd = {k: np.concatenate([raw[i][k][raw[i]["speech"]] for i in trained]).astype(np.float64).std(0) for k in ("emb", "feat")}
    gstd = {k: np.maximum(v, 1e-6) for k, v in gstd.items()}
    scorer = Scorer(labels, meta["output"]["temperature"], meta["speech"]["threshold"], gstd)

    grids = {m: grid_of(m) for m in methods}
    # conf[(speaker, K, scenario)][method] -> [draws, grid, n, n+1]; scenario: "all" or "labels2"/"labels3"
    conf: dict = {}
    base_conf: dict = {}
    timings = {"personal_window_us": [], "logistic_fit_ms": []}
    cal_windows = 0
    t_draws = time.time()
    for s_no, (speaker, members) in enumerate(sorted(speakers.items())):
        corpus = items[members[0]]["corpus"]
        for k in ks:
            for r in range(args.draws):
                rng = np.random.default_rng([args.seed, zlib.crc32(speaker.encode()), k, r])
                d = draw(rng, members, items, k, n)
                if d is None:
                    print(f"  {speaker}: cannot enrol K={k}", flush=True)
                    break
                enrol, scored = d
                neutral = enrol.get(labels.index("neutral"), []) if "neutral" in labels else []
                involved = sorted(set(scored) | {i for v in enrol.values() for i in v})
                cpath = cache_path("cal", [RECIPE, model_sha, [items[i]["path"] for i in neutral],
                                           [items[i]["path"] for i in involved]])
                if cpath.exists():
                    cal_rows = load(cpath)
                else:
                    hist = history_of(win, [items[i]["logmel"] for i in neutral])
                    cal_rows = embed_clips(net, win, [items[i]["logmel"] for i in involved], hist)
                    save(cpath, cal_rows)
                    cal_windows += sum(len(x["emb"]) for x in cal_rows)
                cal = {}
                for i, row in zip(involved, cal_rows):
                    row["feat"] = raw[i]["feat"]
                    row["speech"] = 1 / (1 + np.exp(-row["logits"][:, n])) >= meta["speech"]["threshold"]
                    cal[i] = row
                true = np.array([items[i]["label"] for i in scored])
                clip_of = np.concatenate([np.full(len(raw[i]["emb"]), j) for j, i in enumerate(scored)])
                bases = {"raw": raw, "cal": cal}
                pgs = {b: scorer.window_probs([bases[b][i] for i in scored]) for b in bases}
                for b in bases:
                    pg, speech = pgs[b]
                    key = (speaker, k, b)
                    base_conf.setdefault(key, []).append(confusion(true, scorer.decide(pg, speech, clip_of, len(scored)), n))
                scenarios = [("all", list(range(n)))]
                if k == 2:
                    for m_labels in (2, 3):
                        sub = sorted(int(x) for x in rng.choice(n, m_labels, replace=False))
                        scenarios.append((f"labels{m_labels}", sub))
                for scen, present in scenarios:
                    present = np.array(present)
                    e_idx = [i for l in present for i in enrol[int(l)]]
                    e_lab = np.array([items[i]["label"] for i in e_idx])
                    for method in methods:
                        base = METHODS[method][4]
                        # Without an enrolled neutral label there is no calibration: the raw model.
                        if base == "cal" and 0 not in present:
                            base = "raw"
                        rows = bases[base]
                        pg, speech = pgs[base]
                        erows, srows = [rows[i] for i in e_idx], [rows[i] for i in scored]
                        out = np.zeros((len(grids[method]), n, n + 1), dtype=np.int64)
                        cache_first = {}
                        for g, (first, k0, mix) in enumerate(grids[method]):
                            if first not in cache_first:
                                t0 = time.perf_counter()
                                cache_first[first] = scorer.personal_logits(method, erows, e_lab, srows, present, first)
                                if METHODS[method][3] in ("logistic", "adapt"):
                                    timings["logistic_fit_ms"].append(1000 * (time.perf_counter() - t0))
                            t = 1.0 if METHODS[method][3] in ("logistic", "adapt") else first
                            t0 = time.perf_counter()
                            p = scorer.mix(pg, cache_first[first], present, t, k0, mix, k)
                            if scen == "all" and g == 0:
                                timings["personal_window_us"].append(1e6 * (time.perf_counter() - t0) / len(pg))
                            out[g] = confusion(true, scorer.decide(p, speech, clip_of, len(scored)), n)
                        conf.setdefault((speaker, k, scen), {}).setdefault(method, []).append(out)
        print(f"  [{s_no + 1}/{len(speakers)}] {speaker} done, {time.time() - t_draws:.0f} s, "
              f"{cal_windows} calibrated windows embedded", flush=True)

    result = summarise(items, speakers, conf, base_conf, grids, methods, ks, labels, args)
    result["timings"] = {"personal_mix_per_window_us_numpy_median": float(np.median(timings["personal_window_us"])),
                         "logistic_fit_ms_median": float(np.median(timings["logistic_fit_ms"])) if timings["logistic_fit_ms"] else None,
                         "wall_time_s": round(time.time() - started, 1)}
    result["model"] = {"name": args.model, "sha256": model_sha, "embedding": {"node": net.gemm.input[0], "gemm": net.gemm.name,
                                                                             "dimension": int(raw_rows[0]["emb"].shape[1])}}
    result["global_std"] = {k: [float(f"{x:.6g}") for x in v] for k, v in gstd.items()}
    # The engine's constants for this model (training/personal_metadata.py copies them into
    # the model's metadata): the chosen method's setting on all speakers, and the scales.
    chosen = result["chosen_method"]
    t_chosen, k0_chosen, mix_chosen = chosen["setting_all_speakers"]
    if chosen["method"] == "both_euclid" and mix_chosen == "linear":
        result["metadata_personal"] = {
            "embedding_std": result["global_std"]["emb"],
            "feature_std": result["global_std"]["feat"],
            "feature_std_floor": FEATURE_STD_FLOOR,
            "min_active_frames": MIN_ACTIVE_FRAMES,
            "temperature": t_chosen,
            "clips_prior": k0_chosen,
        }
    result["command"] = "python training/personal.py " + " ".join(sys.argv[1:])
    result["environment"] = {"python": platform.python_version(), "numpy": np.__version__, "onnx": onnx.__version__,
                             "onnxruntime": ort.__version__}
    result["golden"] = golden(items, speakers, raw, scorer, result, labels, args, net, win, meta)
    out = args.out or MODELS / f"personal-{args.model}.json"
    if not args.quick or args.out:
        out.write_text(json.dumps(result, indent=1) + "\n")
        print(f"wrote {out}")


# ---------------------------------------------------------------------------- summary


def ua_of(c: np.ndarray) -> np.ndarray:
    """UA of [..., n, n+1] confusions (no speech is a miss)."""
    support = c.sum(-1)
    recall = np.diagonal(c[..., :-1], axis1=-2, axis2=-1) / np.maximum(support, 1)
    return (recall * (support > 0)).sum(-1) / np.maximum((support > 0).sum(-1), 1)


def summarise(items, speakers, conf, base_conf, grids, methods, ks, labels, args) -> dict:
    corpus_of = {s: items[m[0]]["corpus"] for s, m in speakers.items()}
    sex_of = {s: items[m[0]]["sex"] for s, m in speakers.items()}
    spk = sorted(speakers)
    corpora = [c for c in CORPORA if any(corpus_of[s] == c for s in spk)]
    ks_done = [k for k in ks if all((s, k, "all") in conf for s in spk)]
    n = len(labels)

    def pooled(arrs):  # list of [draws, ...] -> sum over draws
        return sum(a.sum(0) for a in arrs)

    # per speaker, per method: [K, grid, n, n+1] summed over draws (scenario "all")
    per = {m: {s: np.stack([np.stack(conf[(s, k, "all")][m]).sum(0) for k in ks_done]) for s in spk} for m in methods}

    def select(m, candidates):
        """Grid index maximising the mean over corpora and K of the pooled UA of `candidates`."""
        by_c = {}
        for s in candidates:
            by_c.setdefault(corpus_of[s], []).append(per[m][s])
        score = np.mean([ua_of(sum(v)).mean(0) for v in by_c.values()], axis=0)  # [grid]
        return int(np.argmax(score))

    chosen = {"nested": {}, "loco": {}, "all": {}}
    for m in methods:
        chosen["all"][m] = select(m, spk)
        for s in spk:
            chosen["nested"].setdefault(m, {})[s] = select(m, [x for x in spk if x != s])
            chosen["loco"].setdefault(m, {})[s] = select(m, [x for x in spk if corpus_of[x] != corpus_of[s]])

    def report(c_by_spk: dict, k_i: int | None = None) -> dict:
        out = {}
        for c in corpora:
            ss = [s for s in spk if corpus_of[s] == c]
            total = sum(c_by_spk[s] for s in ss)
            r = scores(total, labels)
            r["per_sex"] = {}
            for sex in sorted({sex_of[s] for s in ss}):
                r["per_sex"][sex] = scores(sum(c_by_spk[s] for s in ss if sex_of[s] == sex), labels)["unweighted_accuracy"]
            r["speakers"] = len(ss)
            out[c] = r
        out["mean_ua"] = float(np.mean([out[c]["unweighted_accuracy"] for c in corpora]))
        return out

    def per_draw_std(get) -> dict:
        """Standard deviation over draws of each corpus's pooled UA."""
        out = {}
        for c in corpora:
            ss = [s for s in spk if corpus_of[s] == c]
            uas = [ua_of(sum(get(s)[r] for s in ss)) for r in range(args.draws)]
            out[c] = float(np.std(uas))
        return out

    res = {"labels": labels, "ks": ks_done, "draws": args.draws, "seed": args.seed,
           "speakers": {c: sum(corpus_of[s] == c for s in spk) for c in corpora},
           "grid": {"euclid_T": EUCLID_T, "cosine_T": COSINE_T, "logistic_lambda": LR_LAMBDA, "k0": K0, "mix": MIXES},
           "methods": {m: dict(zip(("space", "centring", "scaling", "score", "base"), METHODS[m])) for m in methods},
           "table": {}}
    for ki, k in enumerate(ks_done):
        row = {}
        for b, name in (("raw", "global"), ("cal", "calibrated")):
            row[name] = report({s: np.sum(base_conf[(s, k, b)], axis=0) for s in spk})
            row[name]["draw_std"] = per_draw_std(lambda s, b=b: np.stack(base_conf[(s, k, b)]))
        for m in methods:
            for how in ("nested", "loco"):
                pick = lambda s: chosen[how][m][s]
                row[f"{m}/{how}"] = report({s: per[m][s][ki, pick(s)] for s in spk})
                row[f"{m}/{how}"]["draw_std"] = per_draw_std(lambda s: np.stack(conf[(s, k, "all")][m])[:, pick(s)])
            g = chosen["all"][m]
            row[f"{m}/all_speakers"] = report({s: per[m][s][ki, g] for s in spk})
            row[f"{m}/all_speakers"]["setting"] = list(grids[m][g])
            row[f"{m}/nested"]["settings_chosen"] = sorted({str(list(grids[m][chosen["nested"][m][s]])) for s in spk})
        res["table"][f"K={k}"] = row
    # Missing labels, K = 2, the nested setting of each method.
    if 2 in ks_done:
        res["missing_labels"] = {}
        for scen in ("labels2", "labels3"):
            row = {}
            for m in methods:
                row[m] = report({s: np.stack(conf[(s, 2, scen)][m]).sum(0)[chosen["nested"][m][s]] for s in spk})
            res["missing_labels"][scen] = row
    # The winner: mean UA over corpora at K = 2 (nested settings).
    k2 = res["table"].get("K=2") or res["table"][f"K={ks_done[0]}"]
    best = max(methods, key=lambda m: k2[f"{m}/nested"]["mean_ua"])
    res["chosen_method"] = {"method": best, "definition": METHODS[best],
                            "setting_all_speakers": list(grids[best][chosen["all"][best]]),
                            "rule": "highest mean over corpora of the nested-LOSO UA at K=2"}
    print_table(res, methods, corpora, ks_done)
    # Full detail (per class, per sex, confusion) for global, calibrated and the nested rows;
    # UA and WA for the others, so that the file stays small.
    for rows in list(res["table"].values()) + list(res.get("missing_labels", {}).values()):
        for name, r in rows.items():
            if name in ("global", "calibrated") or name.endswith("/nested"):
                continue
            for c in corpora:
                r[c] = {k: r[c][k] for k in ("unweighted_accuracy", "weighted_accuracy", "per_sex")}
    return res


def print_table(res, methods, corpora, ks):
    print("\nUA % per corpus (pooled over speakers and draws); personal rows: hyperparameters by nested LOSO")
    head = "method".ljust(34) + "".join(f"{c:>9}" for c in corpora) + "     mean"
    for k in ks:
        row = res["table"][f"K={k}"]
        print(f"\nK = {k}\n" + head)
        names = ["global", "calibrated"] + [f"{m}/nested" for m in methods] + [f"{m}/loco" for m in methods[:0]]
        for name in names:
            r = row[name]
            print(name.ljust(34) + "".join(f"{100 * r[c]['unweighted_accuracy']:9.1f}" for c in corpora)
                  + f"{100 * r['mean_ua']:9.1f}")
    best = res["chosen_method"]["method"]
    print(f"\nchosen: {best} {res['chosen_method']['definition']}, setting on all speakers "
          f"{res['chosen_method']['setting_all_speakers']}")
    for k in ks:
        r = res["table"][f"K={k}"][f"{best}/loco"]
        print(f"  K={k} hyperparameters from the other corpora only: " + "  ".join(
            f"{c} {100 * r[c]['unweighted_accuracy']:.1f}" for c in corpora))
    if "missing_labels" in res:
        for scen, row in res["missing_labels"].items():
            print(f"  K=2, {scen[-1]} labels enrolled: " + "  ".join(
                f"{c} {100 * row[best][c]['unweighted_accuracy']:.1f}" for c in corpora))


def sig(v) -> list[float]:
    """Numbers as the profile stores them: float32 (written here as the decimal that reads back
    to the same float32; the profile file itself holds them as base64 little-endian float32)."""
    return [float(np.float32(x)) for x in np.asarray(v, dtype=np.float64).ravel()]


def b64_bytes(n_floats: int) -> int:
    return 4 * ((4 * n_floats + 2) // 3)


def golden(items, speakers, raw, scorer, result, labels, args, net, win, meta) -> dict:
    """A profile of the chosen prototype method, built from one Korean speaker's K = 2 draw, and
    what it gives on a few scored windows: the numbers a Rust test replays. Computed in float64
    from the profile's stored (rounded) numbers, so the test needs no Python."""
    best = result["chosen_method"]["method"]
    space, centring, scaling, score, base = METHODS[best]
    if score not in ("euclid", "cosine"):
        return {"note": f"{best} is not a prototype method; no golden written"}
    t, k0, mix = result["chosen_method"]["setting_all_speakers"]
    n = len(labels)
    speaker = next((s for s in sorted(speakers) if s.startswith("korean")), sorted(speakers)[0])
    members = speakers[speaker]
    rng = np.random.default_rng([args.seed, zlib.crc32(speaker.encode()), 2, 0])
    enrol, scored = draw(rng, members, items, 2, n)
    neutral = enrol[labels.index("neutral")]
    hist = history_of(win, [items[i]["logmel"] for i in neutral])
    e_idx = [i for l in range(n) for i in enrol[l]]
    probe = scored[:2]
    rows = embed_clips(net, win, [items[i]["logmel"] for i in e_idx + probe], hist)
    for i, r in zip(e_idx + probe, rows):
        r["feat"] = raw[i]["feat"]
        r["speech"] = 1 / (1 + np.exp(-r["logits"][:, n])) >= scorer.st
    erows, prows = rows[:len(e_idx)], rows[len(e_idx):]
    e_lab = np.array([items[i]["label"] for i in e_idx])
    blocks = {}
    for sp in (["emb", "feat"] if space == "both" else [space]):
        e = scorer.clip_vectors(erows, sp)
        if centring == "neutral" and (e_lab == 0).any():
            c = e[e_lab == 0].mean(0)
        else:
            c = e.mean(0)
        kind = scaling.split("|")[0] if sp == "emb" else scaling.split("|")[-1]
        s = scorer.gstd[sp] if kind == "global" else np.maximum(e.std(0), FEATURE_STD_FLOOR * scorer.gstd[sp])
        blocks[sp] = {"scale": sig(s), "prototypes": {labels[l]: sig(e[e_lab == l].mean(0)) for l in range(n)},
                      "floored_dimensions": int((e.std(0) < FEATURE_STD_FLOOR * scorer.gstd[sp]).sum()) if kind == "person" else None}
        if score == "cosine":
            blocks[sp]["centre"] = sig(c)
    profile = {"format_version": 1, "model": {"name": result["model"]["name"], "sha256": result["model"]["sha256"]},
               "method": best, "score": score, "temperature": t, "k0": k0, "mix": mix,
               "counts": {labels[l]: int((e_lab == l).sum()) for l in range(n)},
               "blocks": blocks}
    # Replay from the stored numbers.
    windows = []
    for j, r in enumerate(prows):
        for w in range(min(2, len(r["emb"]))):
            total = np.zeros(n)
            for sp, b in blocks.items():
                x = np.asarray(r[sp][w], dtype=np.float64)
                sc = np.array(b["scale"])
                protos = np.array([b["prototypes"][l] for l in labels])
                if score == "euclid":
                    total -= (((x[None] - protos) / sc) ** 2).mean(1)
                else:
                    c = np.array(b["centre"])
                    z, mu = (x - c) / sc, (protos - c) / sc
                    total += mu @ z / (np.linalg.norm(mu, axis=1) * np.linalg.norm(z) + 1e-9)
            total /= len(blocks)
            pg = softmax(r["logits"][w, :n].astype(np.float64) / scorer.t)
            kmin = min(profile["counts"].values())
            p = scorer.mix(pg[None], total[None], np.arange(n), t, k0, mix, kmin)[0]
            windows.append({"clip": j, "embedding": [float(v) for v in r["emb"][w]],
                            "features": [float(v) for v in r["feat"][w]] if space != "emb" else None,
                            "logits": [float(v) for v in r["logits"][w]], "speech": bool(r["speech"][w]),
                            "global_probabilities": pg.tolist(), "personal_scores": total.tolist(),
                            "probabilities": p.tolist()})
    text = json.dumps(profile, separators=(",", ":"))
    n_proto = sum(len(b["prototypes"][l]) for b in blocks.values() for l in labels)
    n_person_scale = sum(len(b["scale"]) for sp, b in blocks.items()
                         if (scaling.split("|")[0] if sp == "emb" else scaling.split("|")[-1]) == "person")
    n_centre = sum(len(b.get("centre", [])) for b in blocks.values())
    return {"speaker": speaker, "enrolled": [items[i]["path"] for i in e_idx], "scored": [items[i]["path"] for i in probe],
            "profile": profile, "profile_bytes_decimal_json": len(text.encode()),
            "profile_floats_person_specific": n_proto + n_person_scale + n_centre,
            "profile_bytes_base64_f32_estimate": b64_bytes(n_proto + n_person_scale + n_centre) + 400,
            "windows": windows}


if __name__ == "__main__":
    main()
