"""Personal profiles measured with the Rust CLI (issue 25 item 5): the numbers of the card's
"Personal profiles (from the CLI)" section.

    python training/personal_cli.py                 # every corpus, K = 1, 2, 4, 5 draws → models/personal-cli-emotion4.json
    python training/personal_cli.py --quick 1       # 1 speaker per corpus, 1 draw (a smoke test; writes nothing in models/)

Needs `cargo build --release` first (target/release/speech-emotion) and the venv of
personal.py (its imports: numpy, onnx, onnxruntime, librosa, scipy, soundfile): the enrolment
draws are personal.py's own `clips` and `draw`, called with the same seeds in the same order,
so every speaker, K and draw enrols and scores exactly the clips the Python replica did.

Protocol (the replica's, run through the CLI): every speaker of RAVDESS (actors 01-22), nEMO and
the Korean corpus (grouped by `speaker`: A and B span two folders) is held out in turn; for
K = 1, 2, 4 clips per label and 5 draws (seed 25) the enrolment clips go into a CSV and
`speech-emotion enrol` makes the profile; the speaker's clips whose words no enrolment clip
said are scored with `speech-emotion evaluate --json` three ways:
 - global: the shipped model alone;
 - calibrated: `--calibration` with the enrolled neutral clips (the profile's calibration);
 - personal: `--profile` (the profile mixes in the person, calibrated with its neutral clips).
K = 1 is refused by `enrol` (each label needs 2 clips): the refusal is recorded, no number is
made up. Confusion matrices are pooled over speakers and draws per corpus (and per sex).

The network was trained on every RAVDESS 01-22 and nEMO speaker (no fold models exist), so
those global rows are optimistic; Korean was never trained on: RAVDESS + nEMO → Korean is the
only leave-one-corpus-out direction measurable without retraining. Each run's outputs are
cached in training/cache/personal-cli/ (git-ignored; keyed by the binary's hash), so a re-run
only aggregates. Two CLI processes at most run at once, each with one thread. Audio is read
from ../shared/data and never copied; RAVDESS actors 23-24, EmoDB and URDU are never read.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import csv
import hashlib
import json
import os
import platform
import re
import subprocess
import sys
import time
import zlib
from pathlib import Path

import numpy as np

from data import DATA
from features import REPO, load_metadata
from personal import CORPORA, clips, draw
from scoring import scores

MODELS = REPO / "models"
BINARY = REPO / "target" / "release" / "speech-emotion"
RUNS = REPO / "training" / "cache" / "personal-cli"
WAYS = ("global", "calibrated", "personal")
# The replica's row that uses the engine's constants (the setting chosen on all speakers,
# which personal_metadata.py copied into the metadata), and its headline row.
REPLICA_PERSONAL = "both_euclid/all_speakers"
REPLICA_NESTED = "both_euclid/nested"
TARGETS = {"personal_k2_ua": 0.85, "loco_personal_ua": 0.75}


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def cli(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([str(BINARY), "--threads", "1", *args], capture_output=True, text=True)


def last_line(text: str) -> str:
    """The CLI's last message (its error, when it failed)."""
    lines = text.strip().splitlines()
    return lines[-1] if lines else ""


def write_csv(path: Path, rows: list[tuple[str, str]]) -> None:
    """A `path,label` CSV whose paths are relative to the CSV (as a user would write it)."""
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "label"])
        for p, label in rows:
            w.writerow([os.path.relpath(DATA / p, path.parent), label])


def evaluate(args: list[str], scored_csv: Path) -> dict:
    t0 = time.time()
    p = cli([*args, "evaluate", "--json", str(scored_csv)])
    out = {"seconds": round(time.time() - t0, 2), "exit": p.returncode}
    try:
        report = json.loads(p.stdout)
        cm = report["confusion_matrix"]
        out["confusion"] = [row + [none] for row, none in zip(cm["counts"], cm["no_speech"])]
        out["failed"] = report["failed"]
        out["evaluated"] = report["evaluated"]
    except (json.JSONDecodeError, KeyError):
        out["error"] = last_line(p.stderr) or f"exit {p.returncode}"
    return out


def run_one(job: dict, binary_sha: str) -> dict:
    """One speaker, K and draw: enrol, then the three evaluations. Cached by content."""
    key = {"binary": binary_sha, "enrol": job["enrol"], "scored": job["scored"], "ways": job["ways"]}
    done, cached = run_folder(job, key, "")
    if cached:
        return cached
    enrol_csv, scored_csv, profile = (done.parent / name for name in ("enrol.csv", "scored.csv", "profile.json"))
    result = {"key": key}
    t0 = time.time()
    proc = cli(["enrol", "-o", str(profile), str(enrol_csv)])
    enrolled = proc.returncode == 0
    result["enrol"] = {"exit": proc.returncode, "message": last_line(proc.stderr), "seconds": round(time.time() - t0, 2)}
    if enrolled:
        result["enrol"]["bytes"] = profile.stat().st_size
    if "global" in job["ways"]:
        result["global"] = evaluate([], scored_csv)
    if "calibrated" in job["ways"]:
        if job["neutral"]:  # in the enrol CSV's order, as the profile joins them
            result["calibrated"] = evaluate([a for path in job["neutral"] for a in ("--calibration", str(DATA / path))], scored_csv)
        else:
            result["calibrated"] = {"error": "no neutral clip enrolled"}
    if "personal" in job["ways"]:
        if enrolled:
            result["personal"] = evaluate(["--profile", str(profile)], scored_csv)
        else:
            result["personal"] = {"error": "enrol refused: " + result["enrol"]["message"]}
    return finished(done, result)


def run_folder(job: dict, key: dict, tag: str) -> tuple[Path, dict | None]:
    """A run's cache folder (named by the hash of what it depends on) with its enrol and
    scored CSVs written, and its result when an earlier run finished it."""
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    folder = RUNS / job["speaker"] / f"K{job['k']}-d{job['draw']}-{tag}{digest}"
    done = folder / "result.json"
    if done.exists():
        return done, {**json.loads(done.read_text()), "from_cache": True}
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(folder / "enrol.csv", job["enrol"])
    write_csv(folder / "scored.csv", job["scored"])
    return done, None


def finished(done: Path, result: dict) -> dict:
    """Writes a run's result atomically (a run cut short leaves no result behind)."""
    tmp = done.with_suffix(".tmp")
    tmp.write_text(json.dumps(result))
    tmp.rename(done)
    return result


def loco_metadata(meta_path: Path, setting: tuple[float, float]) -> Path:
    """The model's metadata with the profile's temperature and clips prior replaced (for
    `--model models/<model>.onnx --metadata <this>`), in the run cache."""
    meta = json.loads(meta_path.read_text())
    meta["personal"]["temperature"], meta["personal"]["clips_prior"] = setting
    path = RUNS / "loco-metadata" / f"{meta_path.stem}-T{setting[0]:g}-k{setting[1]:g}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(meta, indent=1) + "\n"
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path


def run_loco(job: dict, binary_sha: str, onnx: Path, metadata: Path) -> dict:
    """The personal way again with other profile constants: enrol and `--profile` with
    `--model onnx --metadata metadata` (a profile is bound to the model it was made with)."""
    key = {"binary": binary_sha, "metadata": sha256_file(metadata), "enrol": job["enrol"], "scored": job["scored"]}
    done, cached = run_folder(job, key, "loco-")
    if cached:
        return cached
    enrol_csv, scored_csv, profile = (done.parent / name for name in ("enrol.csv", "scored.csv", "profile.json"))
    model = ["--model", str(onnx), "--metadata", str(metadata)]
    t0 = time.time()
    proc = cli([*model, "enrol", "-o", str(profile), str(enrol_csv)])
    result = {"key": key, "enrol": {"exit": proc.returncode, "message": last_line(proc.stderr), "seconds": round(time.time() - t0, 2)}}
    result["personal"] = (evaluate([*model, "--profile", str(profile)], scored_csv) if proc.returncode == 0
                          else {"error": "enrol refused: " + result["enrol"]["message"]})
    return finished(done, result)


def jobs_of(items: list[dict], speakers: dict, labels: list[str], ks: list[int], draws: int, seed: int,
            k1_ways: tuple) -> list[dict]:
    """personal.py's draws, in its order and with its seeds."""
    jobs = []
    for speaker, members in sorted(speakers.items()):
        for k in ks:
            for r in range(draws):
                rng = np.random.default_rng([seed, zlib.crc32(speaker.encode()), k, r])
                d = draw(rng, members, items, k, len(labels))
                if d is None:
                    print(f"  {speaker}: cannot enrol K={k}", flush=True)
                    break
                enrol, scored = d
                e_idx = [i for label in range(len(labels)) for i in enrol[label]]
                jobs.append({"speaker": speaker, "corpus": items[members[0]]["corpus"], "sex": items[members[0]]["sex"],
                             "k": k, "draw": r,
                             "enrol": [(items[i]["path"], items[i]["emotion"]) for i in e_idx],
                             "neutral": [items[i]["path"] for i in e_idx if labels[items[i]["label"]] == "neutral"],
                             "scored": [(items[i]["path"], items[i]["emotion"]) for i in scored],
                             "ways": list(WAYS) if k >= 2 else list(k1_ways)})
    return jobs


def message_counts(messages) -> dict:
    """Error messages grouped by their text with the numbers blanked (#): how often each
    came, and the first one as the CLI said it."""
    out = {}
    for m in messages:
        key = re.sub(r"\d+(\.\d+)?", "#", m or "?")
        out.setdefault(key, {"count": 0, "example": m})["count"] += 1
    return dict(sorted(out.items(), key=lambda kv: -kv[1]["count"]))


def pooled_report(conf: dict, sex_of: dict, corpus_of: dict, labels: list[str], corpora: list[str]) -> dict:
    """conf: speaker -> summed [n, n+1] confusion (None when no run of the speaker gave one)."""
    out = {}
    for c in corpora:
        ss = [s for s in sorted(conf) if corpus_of[s] == c and conf[s] is not None]
        if not ss:
            out[c] = None
            continue
        r = scores(sum(conf[s] for s in ss), labels)
        r["per_sex"] = {}
        for sex in sorted({sex_of[s] for s in ss}):
            r["per_sex"][sex] = scores(sum(conf[s] for s in ss if sex_of[s] == sex), labels)["unweighted_accuracy"]
        r["speakers"] = len(ss)
        r["per_speaker"] = {s: round(scores(conf[s], labels)["unweighted_accuracy"], 4) for s in ss}
        out[c] = r
    present = [out[c]["unweighted_accuracy"] for c in corpora if out[c]]
    out["mean_ua"] = float(np.mean(present)) if len(present) == len(corpora) else None
    return out


def summarise(jobs: list[dict], results: list[dict], labels: list[str], corpora: list[str], ks: list[int], draws: int) -> dict:
    corpus_of = {j["speaker"]: j["corpus"] for j in jobs}
    sex_of = {j["speaker"]: j["sex"] for j in jobs}
    table, refusals = {}, {}
    for k in ks:
        rows = [(j, r) for j, r in zip(jobs, results) if j["k"] == k]
        refused = [{"speaker": j["speaker"], "draw": j["draw"], "message": r["enrol"]["message"]}
                   for j, r in rows if r["enrol"]["exit"] != 0]
        refusals[f"K={k}"] = {"runs": len(rows), "refused": len(refused),
                              "refused_per_corpus": {c: sum(1 for x in refused if corpus_of[x["speaker"]] == c) for c in corpora},
                              "messages": message_counts(x["message"] for x in refused),
                              "first": refused[:5]}
        row = {}
        for way in WAYS:
            conf, draw_conf, errors, fails = {}, {}, [], 0  # noqa: E501
            for j, r in rows:
                res = r.get(way)
                if res is None:
                    continue
                if "confusion" not in res:
                    errors.append({"speaker": j["speaker"], "draw": j["draw"], "error": res.get("error")})
                    continue
                fails += len(res.get("failed", []))
                c = np.array(res["confusion"], dtype=np.int64)
                conf[j["speaker"]] = conf.get(j["speaker"], 0) + c
                draw_conf.setdefault((j["corpus"], j["draw"]), []).append(c)
            if not conf and not errors:
                continue
            rep = pooled_report(conf, sex_of, corpus_of, labels, corpora)
            rep["runs"] = {c: sum(1 for j, r in rows if j["corpus"] == c and r.get(way) is not None) for c in corpora}
            rep["runs_without_result"] = {c: sum(1 for e in errors if corpus_of[e["speaker"]] == c) for c in corpora}
            rep["errors"] = message_counts(e["error"] for e in errors)
            rep["files_failed"] = fails
            rep["draw_std"] = {c: float(np.std([scores(sum(draw_conf[(c, d)]), labels)["unweighted_accuracy"]
                                                for d in range(draws) if (c, d) in draw_conf])) if any(
                                   (c, d) in draw_conf for d in range(draws)) else None for c in corpora}
            row[way] = rep
        # The three ways on exactly the same clips: the runs where every way gave a result.
        paired = [(j, r) for j, r in rows if all("confusion" in r.get(w, {}) for w in WAYS)]
        if paired:
            row["paired"] = {"runs": len(paired), "note": "global, calibrated and personal on the runs where all three gave a result"}
            for way in WAYS:
                conf = {}
                for j, r in paired:
                    conf[j["speaker"]] = conf.get(j["speaker"], 0) + np.array(r[way]["confusion"], dtype=np.int64)
                rep = pooled_report(conf, sex_of, corpus_of, labels, corpora)
                row["paired"][way] = {c: ({"unweighted_accuracy": rep[c]["unweighted_accuracy"], "clips": rep[c]["clips"]}
                                          if rep[c] else None) for c in corpora}
        table[f"K={k}"] = row
    return {"table": table, "refusals": refusals}


def compare(table: dict, replica: dict, labels: list[str], corpora: list[str]) -> dict:
    """CLI minus replica, in UA points, for the same rows; and whether the scored clips agree."""
    out = {}
    for kk, row in table.items():
        rrow = replica["table"].get(kk)
        if not rrow:
            continue
        for way, rname in (("global", "global"), ("calibrated", "calibrated"), ("personal", REPLICA_PERSONAL),
                           ("personal", REPLICA_NESTED)):
            if way not in row:
                continue
            name = f"{kk}/{way}" + ("" if rname in ("global", "calibrated", REPLICA_PERSONAL) else "-vs-nested")
            d = {}
            for c in corpora:
                mine, theirs = row[way][c], rrow[rname][c]
                if not mine:
                    continue
                d[c] = {"cli": round(mine["unweighted_accuracy"], 4), "replica": round(theirs["unweighted_accuracy"], 4),
                        "difference_points": round(100 * (mine["unweighted_accuracy"] - theirs["unweighted_accuracy"]), 2)}
                d[c]["clips_cli"] = mine["clips"]
                if "clips" in theirs:
                    d[c]["clips_replica"] = theirs["clips"]
                if "recall" in theirs:
                    d[c]["recall_difference_points"] = {l: round(100 * (mine["recall"][l] - theirs["recall"][l]), 2)
                                                        for l in labels if mine["recall"][l] is not None and theirs["recall"][l] is not None}
            d["replica_row"] = rname
            out[name] = d
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="emotion4", help="the CLI's embedded model; its metadata names the labels")
    parser.add_argument("--draws", type=int, default=5)
    parser.add_argument("--ks", default="1,2,4")
    parser.add_argument("--seed", type=int, default=25)
    parser.add_argument("--quick", type=int, default=0, help="only this many speakers per corpus, 1 draw (smoke test)")
    parser.add_argument("--processes", type=int, default=2, help="CLI processes at once (at most 2 on a shared machine)")
    parser.add_argument("--k1-ways", default="global,calibrated",
                        help="K=1: evaluations besides the enrol attempt (which the CLI refuses); '' for none")
    parser.add_argument("--loco-setting", default="0.2,8",
                        help="T,k0 of the profile for the leave-one-corpus-out row: what personal.py's selection rule "
                             "picks on RAVDESS + nEMO speakers alone (its both_euclid/loco row for Korean); '' to skip")
    parser.add_argument("--out", type=Path, default=None, help="default models/personal-cli-<model>.json")
    args = parser.parse_args()
    started = time.time()
    if not BINARY.exists():
        sys.exit(f"{BINARY} is missing: run cargo build --release")
    meta = load_metadata(MODELS / f"{args.model}.json")
    labels = meta["labels"]
    ks = [int(k) for k in args.ks.split(",")]
    draws = 1 if args.quick else args.draws
    binary_sha = sha256_file(BINARY)
    version = subprocess.run([str(BINARY), "--version"], capture_output=True, text=True).stdout.strip()
    info = json.loads(subprocess.run([str(BINARY), "info"], capture_output=True, text=True, check=True).stdout)
    fingerprint = info.get("fingerprint")
    if info.get("name") != args.model or info.get("labels") != labels:
        sys.exit(f"the CLI's embedded model is {info.get('name')} {info.get('labels')}, not {args.model} {labels}")

    items = clips(meta)
    speakers = {}
    for i, it in enumerate(items):
        speakers.setdefault(it["speaker"], []).append(i)
    if args.quick:
        keep = set()
        for c in CORPORA:
            keep |= set(sorted(s for s in speakers if s.startswith(c))[:args.quick])
        speakers = {s: m for s, m in speakers.items() if s in keep}
    assert not any(it["corpus"] == "ravdess" and int(it["speaker"][8:]) > 22 for i in
                   (j for m in speakers.values() for j in m) for it in [items[i]])
    k1_ways = tuple(w for w in args.k1_ways.split(",") if w)
    jobs = jobs_of(items, speakers, labels, ks, draws, args.seed, k1_ways)
    print(f"{len(jobs)} runs ({len(speakers)} speakers, K={ks}, {draws} draws), {args.processes} processes", flush=True)

    results = [None] * len(jobs)
    t_runs = time.time()
    with concurrent.futures.ThreadPoolExecutor(max_workers=min(2, args.processes)) as pool:
        futures = {pool.submit(run_one, j, binary_sha): i for i, j in enumerate(jobs)}
        for done, fut in enumerate(concurrent.futures.as_completed(futures), 1):
            results[futures[fut]] = fut.result()
            if done % 20 == 0 or done == len(jobs):
                print(f"  {done}/{len(jobs)} runs, {time.time() - t_runs:.0f} s", flush=True)

    loco_runs = {}
    if args.loco_setting and any(j["corpus"] == "korean" for j in jobs):
        setting = tuple(float(x) for x in args.loco_setting.split(","))
        metadata = loco_metadata(MODELS / f"{args.model}.json", setting)
        onnx = MODELS / f"{args.model}.onnx"
        todo = [i for i, j in enumerate(jobs) if j["corpus"] == "korean" and j["k"] >= 2]
        with concurrent.futures.ThreadPoolExecutor(max_workers=min(2, args.processes)) as pool:
            for i, r in zip(todo, pool.map(lambda i: run_loco(jobs[i], binary_sha, onnx, metadata), todo)):
                loco_runs[i] = r
        print(f"  {len(todo)} leave-one-corpus-out runs (T, k0 = {setting}), {time.time() - t_runs:.0f} s", flush=True)

    corpora = [c for c in CORPORA if any(j["corpus"] == c for j in jobs)]
    res = {"model": args.model, "labels": labels, "ks": ks, "draws": draws, "seed": args.seed,
           "speakers": {c: len({j["speaker"] for j in jobs if j["corpus"] == c}) for c in corpora},
           "clips": {c: len({i for s, m in speakers.items() for i in m if items[i]["corpus"] == c}) for c in corpora},
           "data": "../shared/data/{" + ",".join(corpora) + "}/manifest.csv (RAVDESS actors 01-22 only; never read: "
                   "RAVDESS 23-24, EmoDB, URDU)",
           "cli": {"version": version, "binary_sha256": binary_sha, "model_fingerprint": fingerprint,
                   "commands": {"enrol": "speech-emotion --threads 1 enrol -o profile.json enrol.csv",
                                "global": "speech-emotion --threads 1 evaluate --json scored.csv",
                                "calibrated": "speech-emotion --threads 1 --calibration <each enrolled neutral clip> evaluate --json scored.csv",
                                "personal": "speech-emotion --threads 1 --profile profile.json evaluate --json scored.csv"}},
           "protocol": ("personal.py's draws (same clips): per speaker, K clips per label, enrolment clips never scored, "
                        "no scored clip repeating the words of an enrolment clip (RAVDESS statement, nEMO/Korean text); "
                        "confusions pooled over speakers and draws; no speech counts as a miss")}
    res.update(summarise(jobs, results, labels, corpora, ks, draws))
    replica_path = MODELS / f"personal-{args.model}.json"
    if replica_path.exists():
        replica = json.loads(replica_path.read_text())
        res["replica"] = {"file": f"models/{replica_path.name}", "command": replica.get("command"),
                          "personal_row": REPLICA_PERSONAL, "setting": replica["chosen_method"]["setting_all_speakers"],
                          "comparison": compare(res["table"], replica, labels, corpora)}
        if replica.get("table", {}).get("K=2", {}).get("both_euclid/loco", {}).get("korean"):
            res["replica"]["loco_hyperparameters_korean_k2"] = replica["table"]["K=2"]["both_euclid/loco"]["korean"]["unweighted_accuracy"]
    loco = {}
    for kk in ("K=2", "K=4"):
        row = res["table"].get(kk, {})
        if "korean" in corpora and row:
            loco[f"ravdess+nemo->korean/{kk}"] = {w: row[w]["korean"]["unweighted_accuracy"] if row.get(w, {}).get("korean") else None
                                               for w in WAYS}
    if loco_runs:
        for kk in ("K=2", "K=4"):
            k = int(kk[2:])
            idx = [i for i in loco_runs if jobs[i]["k"] == k]
            conf = {}
            for i in idx:
                if "confusion" in loco_runs[i]["personal"]:
                    s = jobs[i]["speaker"]
                    conf[s] = conf.get(s, 0) + np.array(loco_runs[i]["personal"]["confusion"], dtype=np.int64)
            rep = pooled_report(conf, {j["speaker"]: j["sex"] for j in jobs}, {j["speaker"]: j["corpus"] for j in jobs},
                                labels, ["korean"])["korean"]
            if f"ravdess+nemo->korean/{kk}" in loco and rep:
                loco[f"ravdess+nemo->korean/{kk}"]["personal_loco_constants"] = rep["unweighted_accuracy"]
                loco[f"ravdess+nemo->korean/{kk}"]["personal_loco_constants_detail"] = {
                    "recall": rep["recall"], "per_sex": rep["per_sex"], "clips": rep["clips"],
                    "runs": len(idx), "enrol_refused": sum(1 for i in idx if loco_runs[i]["enrol"]["exit"] != 0)}
        loco_constants = {"shipped": {"temperature": meta["personal"]["temperature"], "clips_prior": meta["personal"]["clips_prior"],
                                         "chosen_on": "all speakers of the three corpora, Korean included (personal.py)"},
                             "loco": {"temperature": setting[0], "clips_prior": setting[1],
                                      "chosen_on": "RAVDESS + nEMO speakers only (personal.py's rule, its both_euclid/loco row for Korean)",
                                      "how": "speech-emotion --model models/<model>.onnx --metadata <the metadata with these two "
                                             "numbers replaced> enrol / --profile evaluate"}}
    res["loco"] = {"measured": loco, "constants": loco_constants if loco_runs else None,
                   "not_measured": {"nemo+korean->ravdess": "needs a network trained without RAVDESS (fold models from a training run)",
                                    "ravdess+korean->nemo": "needs a network trained without nEMO (fold models from a training run)"}}
    res["targets"] = TARGETS
    res["command"] = " ".join(["python training/personal_cli.py", *sys.argv[1:]])
    res["environment"] = {"python": platform.python_version(), "numpy": np.__version__, "machine": platform.machine()}
    cli_seconds = sum(r["enrol"]["seconds"] + sum(r.get(w, {}).get("seconds", 0) for w in WAYS) for r in results)
    res["timing"] = {"wall_time_s": round(time.time() - started, 1), "runs": len(results),
                     "runs_from_cache": sum(1 for r in results if r.get("from_cache")),
                     "cli_process_seconds_when_made": round(cli_seconds, 1)}
    print_table(res, corpora)
    out = args.out or MODELS / f"personal-cli-{args.model}.json"
    if not args.quick or args.out:
        out.write_text(json.dumps(res, indent=1) + "\n")
        print(f"wrote {out}")


def print_table(res: dict, corpora: list[str]) -> None:
    print("\nUA % per corpus (pooled over speakers and draws), the CLI")
    for kk, row in res["table"].items():
        r = res["refusals"][kk]
        print(f"\n{kk}: enrol refused {r['refused']}/{r['runs']}" + (f" ({next(iter(r['messages']))})" if r["messages"] else ""))
        for way, rep in ((w, row[w]) for w in WAYS if w in row):
            print(way.ljust(12) + "".join(f"{c:>9} {100 * rep[c]['unweighted_accuracy']:5.1f}" if rep[c] else f"{c:>9}   –  "
                                          for c in corpora))
    for name, d in res.get("replica", {}).get("comparison", {}).items():
        print(f"  {name:28s} CLI − replica: " + "  ".join(f"{c} {d[c]['difference_points']:+.1f}" for c in corpora if c in d))


if __name__ == "__main__":
    main()
