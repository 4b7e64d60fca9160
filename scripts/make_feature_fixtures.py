#!/usr/bin/env python3
"""Writes the fixtures under Tests/Fixtures/features/ that the Swift activation database, per-feature analysis and
feature geometry are tested against, computing every expected value independently with numpy/scipy.

    python3 scripts/make_feature_fixtures.py              # regenerate Tests/Fixtures/features/
    python3 scripts/make_feature_fixtures.py --check DIR  # verify an analysis directory our Swift code wrote
                                                          # from input.json, made by:
    SAE_REPORT_KEEP_ARTIFACTS=/tmp/a swift test --filter ArtifactWriterTests   # then --check /tmp/a/analysis

input.json: a synthetic corpus of 500 tokens in 23 texts, a CSR of sparse codes over 64 features (float32 values,
a tie block, four features that never fire, two correlated groups), a decoder W_dec [64, 16], an unembedding
W_U [50, 16] and the display string of each of the 50 token ids.
expected.json: what the Swift code must compute from it (definitions below, matching docs/artifacts.md and the
seed's formulas in the seed inventory §2.5-2.6).
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import scipy.sparse as sp
from scipy.cluster.hierarchy import fcluster, leaves_list, linkage
from scipy.spatial.distance import squareform

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "Tests", "Fixtures", "features")

M, D, V = 64, 16, 50
TOP_K = 25
CONTEXT = 10
HISTOGRAM_BINS = 24
QUANTILE_BINS = 10
QUANTILE_PER_BIN = 5
SAMPLING_SEED = 7
NEIGHBORS = 32
CLUSTER_FEATURES = 40
CLUSTER_THRESHOLD = 0.8
CLUSTER_COUNT = 6
LOGIT_K = 10
MASK64 = (1 << 64) - 1


class SplitMix64:
    """The generator the Swift reservoir sampler uses (Steele et al. 2014), so samples can be compared exactly."""

    def __init__(self, seed):
        self.state = seed & MASK64

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)


def make_input():
    rng = np.random.default_rng(20261125)
    lengths = [int(x) for x in rng.integers(8, 40, size=23)]
    lengths[-1] = 500 - sum(lengths[:-1])
    assert lengths[-1] > 0, lengths
    n = sum(lengths)
    text_idx = np.concatenate([np.full(k, t, dtype=np.int32) for t, k in enumerate(lengths)])
    position = np.concatenate([np.arange(k, dtype=np.int32) for k in lengths])
    token_id = rng.integers(0, V, size=n).astype(np.int32)

    dense = np.zeros((n, M), dtype=np.float32)
    for row in range(n):
        active = rng.choice(np.arange(60), size=int(rng.integers(1, 9)), replace=False)  # 60-63 never fire
        dense[row, active] = rng.lognormal(0.0, 1.0, size=active.size).astype(np.float32)
    group_a = rng.random(n) < 0.15  # features 10-13 fire together
    dense[np.ix_(group_a, [10, 11, 12, 13])] = rng.lognormal(1.0, 0.5, size=(group_a.sum(), 4)).astype(np.float32)
    dense[position == 0, 20] = 5.0  # a position-0 feature with tied values: ties must keep corpus order
    dense[position == 0, 21] = rng.lognormal(2.0, 0.3, size=(position == 0).sum()).astype(np.float32)
    dense[:, 30][token_id == 7] = 1.5  # a token feature, also tied
    dense[:, 59] = 0
    dense[123, 59] = 0.25  # fires exactly once
    csr = sp.csr_matrix(dense)
    csr.sort_indices()

    w_dec = rng.standard_normal((M, D)).astype(np.float32)
    w_dec[1] = w_dec[0] + 0.1 * rng.standard_normal(D).astype(np.float32)  # near-duplicate decoder directions
    w_dec[:40] /= np.linalg.norm(w_dec[:40], axis=1, keepdims=True)  # most unit norm, some not
    w_u = rng.standard_normal((V, D)).astype(np.float32)
    pieces = [" the", " of", ",", " and", "\n", "ing", " 2", "é", " quote\"s", "\\back"]
    vocab = [pieces[i] if i < len(pieces) else f" w{i}" for i in range(V)]
    return {
        "n_tokens": n, "n_features": M, "d_in": D, "vocab_size": V,
        "text_lengths": lengths,
        "token_id": token_id.tolist(), "text_idx": text_idx.tolist(), "position": position.tolist(),
        "indptr": csr.indptr.astype(np.int64).tolist(), "indices": csr.indices.astype(np.int32).tolist(),
        "data": [float(x) for x in csr.data.astype(np.float32)],
        "w_dec": [float(x) for x in w_dec.reshape(-1)], "w_u": [float(x) for x in w_u.reshape(-1)],
        "vocab": vocab,
    }


def load_input(inp):
    n = inp["n_tokens"]
    csr = sp.csr_matrix((np.array(inp["data"], dtype=np.float32), np.array(inp["indices"], dtype=np.int32),
                         np.array(inp["indptr"], dtype=np.int64)), shape=(n, M))
    w_dec = np.array(inp["w_dec"], dtype=np.float32).reshape(M, D)
    w_u = np.array(inp["w_u"], dtype=np.float32).reshape(V, D)
    return csr, w_dec, w_u


def top_rows(values, rows, k):
    """Rows of the k largest values, ties in corpus (row) order."""
    order = np.lexsort((rows, -values.astype(np.float64)))
    return rows[order[:k]]


def context(inp, csr, feature, row):
    text = inp["text_idx"][row]
    start = row - inp["position"][row]
    end = start + inp["text_lengths"][text]
    lo, hi = max(start, row - CONTEXT), min(end, row + CONTEXT + 1)
    rows = list(range(lo, hi))
    column = csr[:, feature].toarray().reshape(-1)
    strings = [inp["vocab"][inp["token_id"][r]] for r in rows]
    return {"row": row, "context_rows": rows, "context_activations": [float(column[r]) for r in rows],
            "target_index": row - lo, "context": "".join(strings)}


def log_histogram(values):
    lo, hi = float(values.min()), float(values.max())
    if lo == hi:
        return {"edges": [lo, hi], "counts": [int(values.size)]}
    edges = np.power(10.0, np.linspace(math.log10(lo), math.log10(hi), HISTOGRAM_BINS + 1))
    edges[0], edges[-1] = lo, hi
    counts, _ = np.histogram(values.astype(np.float64), bins=edges)
    return {"edges": edges.tolist(), "counts": counts.tolist()}


def quantile_samples(csr, maxima):
    """Reservoir samples per (feature, equal-width bin over (0, max]) in one row-major scan with one SplitMix64."""
    rng = SplitMix64(SAMPLING_SEED)
    seen = np.zeros((M, QUANTILE_BINS), dtype=np.int64)
    reservoir = {}
    for row in range(csr.shape[0]):
        for k in range(csr.indptr[row], csr.indptr[row + 1]):
            f, v = int(csr.indices[k]), float(csr.data[k])
            b = min(int(v / float(maxima[f]) * QUANTILE_BINS), QUANTILE_BINS - 1)
            seen[f, b] += 1
            slot = reservoir.setdefault((f, b), [])
            if len(slot) < QUANTILE_PER_BIN:
                slot.append((v, row))
            else:
                j = rng.next() % int(seen[f, b])
                if j < QUANTILE_PER_BIN:
                    slot[j] = (v, row)
    result = {}
    for f in range(M):
        bins = []
        for b in range(QUANTILE_BINS):
            if seen[f, b] == 0:
                continue
            picked = sorted(reservoir[(f, b)], key=lambda e: (-e[0], e[1]))
            bins.append({"bin": b, "range": [float(maxima[f]) * b / QUANTILE_BINS, float(maxima[f]) * (b + 1) / QUANTILE_BINS],
                         "count": int(seen[f, b]), "rows": [r for _, r in picked]})
        result[f] = bins
    return result


def neighbors(matrix, allowed=None):
    indices = np.full((M, NEIGHBORS), -1, dtype=np.int64)
    values = np.zeros((M, NEIGHBORS), dtype=np.float64)
    for i in range(M):
        candidates = [j for j in range(M) if j != i and (allowed is None or allowed[i, j])]
        candidates.sort(key=lambda j: (-float(matrix[i, j]), j))
        for slot, j in enumerate(candidates[:NEIGHBORS]):
            indices[i, slot], values[i, slot] = j, float(matrix[i, j])
    return indices.tolist(), values.tolist()


def similarity(w_dec):
    d = w_dec.astype(np.float64)
    normalized = d / (np.linalg.norm(d, axis=1, keepdims=True) + 1e-8)
    sq = (d * d).sum(1)
    return {
        "cosine": (normalized @ normalized.T).astype(np.float32),
        "dot": (d @ d.T).astype(np.float32),
        "euclidean": (-np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2 * d @ d.T, 0))).astype(np.float32),
    }


def cooccurrence(csr):
    n = csr.shape[0]
    a = (csr != 0).astype(np.float64)
    joint = (a.T @ a).toarray()
    c = np.asarray(a.sum(0)).reshape(-1)
    p = c / n
    sigma = np.sqrt(np.clip(p * (1 - p), 1e-12, None))
    phi = (joint / n - np.outer(p, p)) / (np.outer(sigma, sigma) + 1e-8)
    union = c[:, None] + c[None, :] - joint
    jaccard = np.where(union > 0, joint / np.where(union > 0, union, 1), 0.0)
    pmi = np.log(np.clip(joint / n / (np.outer(p, p) + 1e-12), 1e-12, None))
    return joint, {"phi": phi.astype(np.float32), "jaccard": jaccard.astype(np.float32), "pmi": pmi.astype(np.float32)}


def clustering(phi, cosine):
    variance = np.var(phi.astype(np.float64), axis=1)
    chosen = np.sort(np.lexsort((np.arange(M), -variance))[:CLUSTER_FEATURES])  # ties → lower id; input order = ids
    sub = phi[np.ix_(chosen, chosen)].astype(np.float64)
    dist = np.clip(1 - np.abs(sub), 0, 2)
    np.fill_diagonal(dist, 0)
    z = linkage(squareform(dist, checks=False), method="average")
    leaves = leaves_list(z)
    cuts = {}
    for name, labels in (("distance", fcluster(z, CLUSTER_THRESHOLD, criterion="distance")),
                         ("maxclust", fcluster(z, CLUSTER_COUNT, criterion="maxclust"))):
        clusters, seen = [], {}
        for leaf in leaves:  # numbered by first appearance in leaf order, members in leaf order
            label = labels[leaf]
            if label not in seen:
                seen[label] = len(clusters)
                clusters.append([])
            clusters[seen[label]].append(int(chosen[leaf]))
        stats = []
        for members in clusters:
            idx = np.array(members)
            size = len(members)
            off = ~np.eye(size, dtype=bool)
            mean_c = float(phi[np.ix_(idx, idx)].astype(np.float64)[off].mean()) if size > 1 else None
            mean_s = float(cosine[np.ix_(idx, idx)].astype(np.float64)[off].mean()) if size > 1 else None
            stats.append({"members": members, "mean_cooccurrence": mean_c, "mean_decoder_cosine": mean_s})
        cuts[name] = stats
    return {"features": chosen.tolist(), "row_variance": variance.tolist(), "linkage": z.tolist(),
            "order": [int(chosen[i]) for i in leaves], "cuts": cuts}


def logit_effects(w_dec, w_u):
    logits = w_dec.astype(np.float64) @ w_u.astype(np.float64).T
    result = []
    for f in range(M):
        order = np.lexsort((np.arange(V), -logits[f]))
        low = np.lexsort((np.arange(V), logits[f]))
        result.append({"promoted": [[int(i), float(logits[f, i])] for i in order[:LOGIT_K]],
                       "suppressed": [[int(i), float(logits[f, i])] for i in low[:LOGIT_K]]})
    return result


def make_expected(inp):
    csr, w_dec, w_u = load_input(inp)
    n = csr.shape[0]
    csc = csr.tocsc()
    stats = {"count": [], "sum": [], "max": [], "min": []}
    features = []
    maxima = np.zeros(M)
    for f in range(M):
        rows = csc.indices[csc.indptr[f]:csc.indptr[f + 1]].astype(np.int64)
        values = csc.data[csc.indptr[f]:csc.indptr[f + 1]]
        stats["count"].append(int(rows.size))
        stats["sum"].append(float(values.astype(np.float64).sum()))
        stats["max"].append(float(values.max()) if rows.size else 0.0)
        stats["min"].append(float(values.min()) if rows.size else 0.0)
        maxima[f] = stats["max"][-1]
        if rows.size == 0:
            features.append(None)
            continue
        top = top_rows(values, rows, TOP_K)
        features.append({"top": [context(inp, csr, f, int(r)) for r in top], "histogram": log_histogram(values)})
    quantiles = quantile_samples(csr, maxima)
    for f in range(M):
        if features[f] is not None:
            features[f]["quantiles"] = quantiles[f]  # contexts are checked through the top examples
    sims = similarity(w_dec)
    joint, cooc = cooccurrence(csr)
    dec_idx, dec_val = neighbors(sims["cosine"])
    co_idx, co_val = neighbors(cooc["phi"], allowed=joint > 0)
    return {
        "parameters": {"top_k": TOP_K, "context": CONTEXT, "histogram_bins": HISTOGRAM_BINS,
                       "quantile_bins": QUANTILE_BINS, "quantile_per_bin": QUANTILE_PER_BIN,
                       "sampling_seed": SAMPLING_SEED, "neighbors": NEIGHBORS, "cluster_features": CLUSTER_FEATURES,
                       "cluster_threshold": CLUSTER_THRESHOLD, "cluster_count": CLUSTER_COUNT, "logit_k": LOGIT_K},
        "n_tokens": n, "nnz": int(csr.nnz), "stats": stats, "features": features,
        "similarity": {k: v.reshape(-1).tolist() for k, v in sims.items()},
        "joint_counts": joint.astype(np.int64).reshape(-1).tolist(),
        "cooccurrence": {k: v.reshape(-1).tolist() for k, v in cooc.items()},
        "decoder_neighbors": {"indices": dec_idx, "values": dec_val},
        "cooccurrence_neighbors": {"indices": co_idx, "values": co_val},
        "clustering": clustering(cooc["phi"], sims["cosine"]),
        "logit_effects": logit_effects(w_dec, w_u),
    }


def compact(value):
    """Floats to 9 significant digits (exact for float32 values, far inside the 1e-4 tolerance otherwise)."""
    if isinstance(value, float):
        return float(f"{value:.9g}") if math.isfinite(value) else None
    if isinstance(value, list):
        return [compact(v) for v in value]
    if isinstance(value, dict):
        return {k: compact(v) for k, v in value.items()}
    return value


def write_fixtures():
    os.makedirs(OUT, exist_ok=True)
    inp = make_input()
    with open(os.path.join(OUT, "input.json"), "w") as f:
        json.dump(inp, f, separators=(",", ":"))
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(compact(make_expected(inp)), f, separators=(",", ":"))
    for name in ("input.json", "expected.json"):
        print(name, os.path.getsize(os.path.join(OUT, name)), "bytes")


def close(a, b, what, rtol=1e-4, atol=1e-5):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or not np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True):
        sys.exit(f"check failed: {what}")


def check(directory):
    """Loads what our Swift code wrote from input.json with numpy/scipy and compares it with expected.json."""
    with open(os.path.join(OUT, "input.json")) as f:
        inp = json.load(f)
    with open(os.path.join(OUT, "expected.json")) as f:
        exp = json.load(f)
    with open(os.path.join(OUT, "moments_expected.json")) as f:  # scripts/fixtures/make_moment_fixtures.py
        moments = json.load(f)
    summary_name = next(n for n in os.listdir(directory) if n.startswith("SUMMARY_"))
    with open(os.path.join(directory, summary_name)) as f:
        summary = json.load(f)
    files = {k: os.path.join(directory, v) for k, v in summary["files"].items()}
    csr, w_dec, _ = load_input(inp)

    db = sp.load_npz(files["activation_db"])
    assert db.format == "csr" and db.dtype == np.float32 and db.shape == csr.shape, db
    raw = np.load(files["activation_db"])  # scipy may narrow indptr when loading; the stored dtypes are the contract
    assert (raw["data"].dtype, raw["indices"].dtype, raw["indptr"].dtype) == (np.float32, np.int32, np.int64)
    assert (db != csr).nnz == 0, "activation database differs from the input codes"
    tokens = np.load(files["token_table"])
    for key in ("token_id", "text_idx", "position"):
        assert tokens[key].dtype == np.int32 and tokens[key].tolist() == inp[key], key

    sim = np.load(files["similarity_matrix"])
    assert sim.dtype == np.float32 and sim.shape == (M, M)
    close(sim.reshape(-1), exp["similarity"]["cosine"], "similarity matrix")
    cooc = np.load(files["cooccurrence_matrix"])
    assert cooc.dtype == np.float32 and cooc.shape == (M, M)
    close(cooc.reshape(-1), exp["cooccurrence"]["phi"], "co-occurrence matrix")
    nb = np.load(files["neighbors"])
    for prefix, key in (("decoder", "decoder_neighbors"), ("cooccurrence", "cooccurrence_neighbors")):
        assert nb[f"{prefix}_indices"].dtype == np.int32 and nb[f"{prefix}_values"].dtype == np.float32
        assert nb[f"{prefix}_indices"].tolist() == exp[key]["indices"], prefix
        close(nb[f"{prefix}_values"], exp[key]["values"], f"{prefix} neighbour values")

    with open(files["feature_summaries"]) as f:
        records = [json.loads(line) for line in f]
    fired = [f for f in range(M) if exp["stats"]["count"][f] > 0]
    assert [r["feature"] for r in records] == fired, "feature summaries must list the features that fired"
    for r in records:
        e = exp["features"][r["feature"]]
        assert [t["global_idx"] for t in r["top_examples"]] == [t["row"] for t in e["top"]], r["feature"]
        assert [t["context"] for t in r["top_examples"]] == [t["context"] for t in e["top"]], r["feature"]
        assert r["histogram"]["counts"] == e["histogram"]["counts"], r["feature"]
        m = moments["moments"][r["feature"]]
        for key in ("density", "mean", "mean_square", "skew", "kurtosis"):
            close([r["moments"][key]], [m[key]], f"moment {key} of {r['feature']}")
        h = moments["logit_histograms"][r["feature"]]
        close(r["logit_histogram"]["edges"], h["edges"], f"logit histogram edges of {r['feature']}")
        assert np.abs(np.array(r["logit_histogram"]["counts"]) - h["counts"]).sum() <= 2, r["feature"]
        shown = r["top_examples"][0]
        assert shown["context_tokens"][shown["target_index"]] == shown["token"], r["feature"]
    with open(files["feature_table"]) as f:
        table = json.load(f)
    assert table["activation_count"] == exp["stats"]["count"]
    with open(files["clusters"]) as f:
        clusters = json.load(f)
    assert clusters["order"] == exp["clustering"]["order"], "cluster leaf order"
    with open(files["results"]) as f:
        json.load(f)
    print(f"check passed: {directory}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", metavar="DIR", help="verify an analysis directory written from input.json")
    args = parser.parse_args()
    check(args.check) if args.check else write_fixtures()
