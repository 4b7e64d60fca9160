#!/usr/bin/env python3
"""Compare two analysis directories written by `sae-report analyze` (e.g. a single run and merged shards, or an
uninterrupted and a resumed run): every array and number must agree, up to `--rtol` for floats; run-specific keys
(timestamps, timings, provenance) are ignored. Exit status 1 on any difference.

    python3 scripts/check/compare_analyses.py A_DIR B_DIR [--rtol 1e-9]
"""
import argparse, glob, json, os, sys
import numpy as np, scipy.sparse

IGNORED = {"timestamp", "timings_s", "tokens_per_second", "resumed_after_tokens", "merged_shards", "shard", "files",
           "created", "generated_at"}

def one(directory, pattern):
    found = sorted(glob.glob(os.path.join(directory, pattern)))
    if len(found) != 1:
        sys.exit(f"{directory}: expected one {pattern}, found {len(found)}")
    return found[0]

def compare(a, b, path, rtol, problems):
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key in IGNORED:
                continue
            if key not in a or key not in b:
                problems.append(f"{path}.{key}: only in {'b' if key not in a else 'a'}")
                continue
            compare(a[key], b[key], f"{path}.{key}", rtol, problems)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            problems.append(f"{path}: lengths {len(a)} vs {len(b)}")
            return
        for i, (x, y) in enumerate(zip(a, b)):
            compare(x, y, f"{path}[{i}]", rtol, problems)
    elif isinstance(a, float) or isinstance(b, float):
        if not (isinstance(a, (int, float)) and isinstance(b, (int, float))) or not np.isclose(a, b, rtol=rtol, atol=0):
            problems.append(f"{path}: {a!r} vs {b!r}")
    elif isinstance(a, str) and isinstance(b, str) and ("_20" in a or "/tmp" in a):
        pass  # file names carry the timestamp; paths differ
    elif a != b:
        problems.append(f"{path}: {a!r} vs {b!r}")

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--rtol", type=float, default=1e-9)
    args = parser.parse_args()
    problems = []
    for pattern in ["results/analysis_results_*.json", "results/feature_table_*.json", "results/clusters_*.json"]:
        with open(one(args.a, pattern)) as fa, open(one(args.b, pattern)) as fb:
            compare(json.load(fa), json.load(fb), pattern, args.rtol, problems)
    with open(one(args.a, "results/feature_summaries_*.jsonl")) as fa, open(one(args.b, "results/feature_summaries_*.jsonl")) as fb:
        la, lb = fa.readlines(), fb.readlines()
        if len(la) != len(lb):
            problems.append(f"feature_summaries: {len(la)} vs {len(lb)} lines")
        for i, (x, y) in enumerate(zip(la, lb)):
            compare(json.loads(x), json.loads(y), f"feature_summaries[{i}]", args.rtol, problems)
    ca = scipy.sparse.load_npz(one(args.a, "activation_database/activation_db_*.npz"))
    cb = scipy.sparse.load_npz(one(args.b, "activation_database/activation_db_*.npz"))
    if ca.shape != cb.shape or (ca != cb).nnz != 0:
        problems.append("activation database differs")
    ta, tb = np.load(one(args.a, "activation_database/tokens_*.npz")), np.load(one(args.b, "activation_database/tokens_*.npz"))
    for key in ["token_id", "text_idx", "position"]:
        if not np.array_equal(ta[key], tb[key]):
            problems.append(f"token table {key} differs")
    for pattern in ["matrices/feature_similarity_*.npy", "matrices/feature_cooccurrence_*.npy"]:
        if glob.glob(os.path.join(args.a, pattern)):
            if not np.array_equal(np.load(one(args.a, pattern)), np.load(one(args.b, pattern))):
                problems.append(f"{pattern} differs")
    na, nb = np.load(one(args.a, "matrices/neighbors_*.npz")), np.load(one(args.b, "matrices/neighbors_*.npz"))
    for key in na.files:
        if not np.array_equal(na[key], nb[key]):
            problems.append(f"neighbors {key} differs")
    for p in problems[:40]:
        print(p)
    print(f"{len(problems)} differences")
    sys.exit(1 if problems else 0)

main()
