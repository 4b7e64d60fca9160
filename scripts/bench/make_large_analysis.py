#!/usr/bin/env python3
"""Grow a real analysis directory (ours, e.g. the demo's) to N features, for measuring `sae-report site` at scale.

    scripts/bench/make_large_analysis.py SOURCE_ANALYSIS N OUT [--no-map]

Feature f of OUT gets the summary record of source feature f mod d_sae, its neighbour ids moved into f's block
(block b = f div d_sae holds source features shifted by b * d_sae), so every page has records, examples, panels
and links exactly as the analysis writes them; only their number grows. The feature table, clusters (each source
cluster repeated per block) and neighbour lists (.npz) are tiled the same way; labels and the sampled texts are
not copied. Dense N x N matrices are not written (at 65,536 features they would be 17 GB each), so the site skips
its heatmaps, as it does for any run without them. With the map (the default), `feature_map` holds N points: the
source's layout if it has one, else the decoder-cosine neighbours' block ids spread around circles, so map.html
is built at full size.

65,536 features took 9 minutes (a JSON parse and dump per record; 2.3 GB written) on 2 shared cores; nothing here
is timed.
"""
import argparse
import json
import os
import shutil

import numpy as np


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def dump_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False)


def shift_neighbors(lists, offset):
    return {kind: [dict(n, feature=n["feature"] + offset) for n in entries] for kind, entries in lists.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source")
    parser.add_argument("features", type=int)
    parser.add_argument("out")
    parser.add_argument("--no-map", action="store_true", help="write no feature_map (the site then has no map.html)")
    args = parser.parse_args()

    src = args.source
    summary_name = next(name for name in os.listdir(src) if name.startswith("SUMMARY_"))
    summary = load_json(os.path.join(src, summary_name))
    files = summary["files"]
    d = int(summary.get("n_features") or load_json(os.path.join(src, files["feature_table"]))["n_features"])
    n = args.features
    if n % d:
        raise SystemExit(f"{n} features is not a multiple of the source's {d}")
    blocks = n // d

    if os.path.exists(args.out):
        shutil.rmtree(args.out)
    for sub in ("results", "matrices", "plots"):
        os.makedirs(os.path.join(args.out, sub))
    out_files = {}

    def copy(key):
        if key in files and os.path.exists(os.path.join(src, files[key])):
            shutil.copy(os.path.join(src, files[key]), os.path.join(args.out, files[key]))
            out_files[key] = files[key]

    for key in ("config", "readme", "training_history_plot"):
        copy(key)
    if "config" in out_files:
        config = load_json(os.path.join(src, files["config"]))
        config["d_sae"] = n
        dump_json(os.path.join(args.out, files["config"]), config)

    # Summary records, block by block.
    records = []
    with open(os.path.join(src, files["feature_summaries"]), encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
    out_files["feature_summaries"] = files["feature_summaries"]
    with open(os.path.join(args.out, files["feature_summaries"]), "w", encoding="utf-8") as f:
        for b in range(blocks):
            offset = b * d
            for record in records:
                grown = dict(record, feature=record["feature"] + offset)
                if "neighbors" in record:
                    grown["neighbors"] = shift_neighbors(record["neighbors"], offset)
                if record.get("cluster") is not None:
                    grown["cluster"] = record["cluster"] + b * 100_000
                f.write(json.dumps(grown, ensure_ascii=False) + "\n")

    # Feature table: every column tiled; clusters renumbered per block as in the records.
    table = load_json(os.path.join(src, files["feature_table"]))
    grown_table = {"n_features": n}
    for key, column in table.items():
        if key == "n_features":
            continue
        if key == "cluster":
            grown_table[key] = [None if c is None else c + b * 100_000 for b in range(blocks) for c in column]
        else:
            grown_table[key] = column * blocks
    dump_json(os.path.join(args.out, files["feature_table"]), grown_table)
    out_files["feature_table"] = files["feature_table"]

    if "clusters" in files:
        clusters = load_json(os.path.join(src, files["clusters"]))
        grown_clusters = []
        for b in range(blocks):
            for cluster in clusters["clusters"]:
                grown_clusters.append(dict(cluster, id=cluster["id"] + b * 100_000,
                                           members=[m + b * d for m in cluster["members"]]))
        clusters["clusters"] = grown_clusters
        clusters["order"] = [i + b * d for b in range(blocks) for i in clusters.get("order", [])]
        dump_json(os.path.join(args.out, files["clusters"]), clusters)
        out_files["clusters"] = files["clusters"]

    if "neighbors" in files:
        with np.load(os.path.join(src, files["neighbors"])) as z:
            grown = {}
            for key in z.files:
                array = z[key]
                if key.endswith("indices"):
                    shifted = np.concatenate([np.where(array >= 0, array + b * d, array) for b in range(blocks)])
                    grown[key] = shifted.astype(array.dtype)
                else:
                    grown[key] = np.concatenate([array] * blocks)
        np.savez(os.path.join(args.out, files["neighbors"]), **grown)
        out_files["neighbors"] = files["neighbors"]

    results = load_json(os.path.join(src, files["results"]))
    results.setdefault("sparsity", {})["n_features"] = n
    for key in ("dead_feature_ids", "training_dead_feature_ids"):
        if key in results:
            results[key] = [i + b * d for b in range(blocks) for i in results[key]]
    dump_json(os.path.join(args.out, files["results"]), results)
    out_files["results"] = files["results"]

    if not args.no_map:
        name = "matrices/feature_map_grown.npy"
        if "feature_map" in files:
            base = np.load(os.path.join(src, files["feature_map"])).astype(np.float32)
        else:
            rng = np.random.default_rng(0)
            base = rng.normal(size=(d, 2)).astype(np.float32)
        side = int(np.ceil(np.sqrt(blocks)))
        span = float(np.ptp(base)) * 1.2 or 1.0
        points = np.concatenate([base + np.array([(b % side) * span, (b // side) * span], np.float32)
                                 for b in range(blocks)])
        np.save(os.path.join(args.out, name), points.astype(np.float32))
        out_files["feature_map"] = name

    summary["n_features"] = n
    summary["files"] = out_files
    dump_json(os.path.join(args.out, summary_name), summary)
    print(f"{args.out}: {n} features ({blocks} copies of {src}'s {d}), {len(records) * blocks} records"
          + ("" if args.no_map else ", with a feature map"))


if __name__ == "__main__":
    main()
