"""Copies the personal-profile constants that training/personal.py chose and measured
(`metadata_personal` in models/personal-<model>.json) into the model's metadata as its
`personal` block, which the engine reads (src/model/metadata.rs, PersonalSpec).

    python3 training/personal_metadata.py emotion4           # write models/emotion4.json
    python3 training/personal_metadata.py emotion4 --check   # fail if the two differ (scripts/test.sh)

Standard library only. The block goes just before `training`, so the file's other keys keep
their order; writing it changes the model's fingerprint (the metadata is part of it).
"""

import argparse
import json
import sys
from pathlib import Path

MODELS = Path(__file__).resolve().parent.parent / "models"


def with_block(meta: dict, block: dict) -> dict:
    out = {k: v for k, v in meta.items() if k not in ("personal", "training")}
    out["personal"] = block
    if "training" in meta:
        out["training"] = meta["training"]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="emotion4 or emotion8: models/<model>.json and models/personal-<model>.json")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    meta_path, results_path = MODELS / f"{args.model}.json", MODELS / f"personal-{args.model}.json"
    block = json.loads(results_path.read_text()).get("metadata_personal")
    if block is None:
        print(f"{results_path} has no metadata_personal: run training/personal.py --model {args.model}", file=sys.stderr)
        return 1
    text = meta_path.read_text()
    wanted = json.dumps(with_block(json.loads(text), block), indent=2) + "\n"
    if args.check:
        if text != wanted:
            print(f"{meta_path}'s personal block differs from {results_path}: run training/personal_metadata.py {args.model}", file=sys.stderr)
            return 1
        print(f"{meta_path.name}: personal block equals {results_path.name}'s")
        return 0
    meta_path.write_text(wanted)
    print(f"wrote the personal block into {meta_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
