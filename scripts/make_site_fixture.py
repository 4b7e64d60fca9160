#!/usr/bin/env python3
"""Write a realistic synthetic analysis directory (docs/artifacts.md layout) for `sae-report site`.

    scripts/make_site_fixture.py --features N OUT [--seed S] [--no-matrices] [--examples K]

Feature statistics follow a heavy-tailed (log-normal) frequency distribution with a share of never-firing
features; contexts are drawn from a small vocabulary that deliberately includes strings a site must escape
(`<script>`, `</script>`, `&`, quotes, U+2028/U+2029, U+FFFD from broken UTF-8). Matrices are numpy `.npy`
float32 `[d_sae, d_sae]` (skipped with --no-matrices), neighbour lists a numpy `.npz`; all numbers are consistent
with each other (neighbours are computed from the matrices, clusters order the features, the feature table
agrees with the summaries).

Also: `--seed-subset SEED_ANALYSIS_DIR SUMMARIES_JSONL N OUT` copies the seed's run files and the first N
feature-summary records (and their LLM labels) into OUT, the seed-layout fixture for tests.
"""
import argparse
import json
import os
import shutil
import struct
import zlib

import numpy as np

TS = "20260101_120000"

WORDS = [" the", " of", " energy", " cell", " atom", " is", " a", " reaction", " protein", " force", ".", ",",
         " mass", " velocity", " DNA", " and", " to", " in", " electron", " bond", " acid", " water", " light",
         " wave", "\n", " =", " 2", " x", "ing", "ed", " molecule", " gene", " field", " charge"]
NASTY = ["<script>", "</script>", " &", " \"quoted\"", " 'single'", "\u2028", "\u2029", "\ufffd", " <b>", "&amp;",
         " \u00e9t\u00e9", " \u03bc", "\ufffd\ufffd", " <!--", " ]]>"]


def npy_write(path, array):
    np.save(path, array, allow_pickle=False)


def png_write(path, width, height, rgb):
    """Minimal PNG writer (8-bit RGB), so the fixture needs no imaging library."""
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(height))

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw, 9)))
        f.write(chunk(b"IEND", b""))


def dump(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)


def make_synthetic(n, out, seed, with_matrices, n_examples):
    rng = np.random.default_rng(seed)
    os.makedirs(out, exist_ok=True)
    for sub in ("results", "matrices", "plots"):
        os.makedirs(os.path.join(out, sub), exist_ok=True)

    n_tokens = 200_000
    vocab = WORDS + NASTY
    p = np.array([1.0] * len(WORDS) + [0.25] * len(NASTY))
    p /= p.sum()

    # Per-feature statistics: ~12% never fire, the rest log-normal frequencies, a few dense ones.
    dead = rng.random(n) < 0.12
    freq = np.clip(np.exp(rng.normal(np.log(2e-3), 1.6, n)), 1.0 / n_tokens, 0.6)
    freq[: max(1, n // 200)] = rng.uniform(0.11, 0.3, max(1, n // 200))  # dense features
    freq[dead] = 0.0
    count = np.round(freq * n_tokens).astype(np.int64)
    count[~dead] = np.maximum(count[~dead], 1)
    freq = count / n_tokens
    mean_act = np.where(dead, 0.0, rng.gamma(2.0, 1.5, n))
    max_act = np.where(dead, 0.0, mean_act * rng.uniform(2.0, 6.0, n))

    # Decoder directions in a few groups, so similarity and clusters have structure.
    d_in = 64
    n_groups = max(3, n // 48)
    group = rng.integers(0, n_groups, n)
    centers = rng.normal(size=(n_groups, d_in))
    dec = centers[group] * 0.8 + rng.normal(size=(n, d_in))
    dec /= np.linalg.norm(dec, axis=1, keepdims=True)
    # Co-occurrence: phi correlation stand-in, symmetric, unit diagonal, zero rows for never-firing features.
    latent = centers[group] + rng.normal(scale=1.2, size=(n, d_in))
    latent /= np.linalg.norm(latent, axis=1, keepdims=True)

    def sim_rows(lo, hi):
        return (dec[lo:hi] @ dec.T).astype(np.float32)

    def cooc_rows(lo, hi):
        c = (latent[lo:hi] @ latent.T * 0.6).astype(np.float32)
        c[:, dead] = 0.0
        c[dead[lo:hi]] = 0.0
        for i in range(lo, hi):
            c[i - lo, i] = 0.0 if dead[i] else 1.0
        return c

    files = {"config": f"config_{TS}.json", "readme": f"README_{TS}.md",
             "results": f"results/analysis_results_{TS}.json",
             "feature_summaries": f"results/feature_summaries_{TS}.jsonl",
             "feature_table": f"results/feature_table_{TS}.json", "clusters": f"results/clusters_{TS}.json",
             "neighbors": f"matrices/neighbors_{TS}.npz", "training_history_plot": "plots/training_history.png",
             "feature_labels": "results/feature_labels_llm.jsonl"}

    # Neighbours (and optionally the full matrices), block by block to bound memory.
    K = min(32, n - 1)
    dec_idx = np.zeros((n, K), np.int32); dec_val = np.zeros((n, K), np.float32)
    co_idx = np.zeros((n, K), np.int32); co_val = np.zeros((n, K), np.float32)
    sim_mm = co_mm = None
    if with_matrices:
        files["similarity_matrix"] = f"matrices/feature_similarity_{TS}.npy"
        files["cooccurrence_matrix"] = f"matrices/feature_cooccurrence_{TS}.npy"
        sim_mm = np.lib.format.open_memmap(os.path.join(out, files["similarity_matrix"]), "w+", np.float32, (n, n))
        co_mm = np.lib.format.open_memmap(os.path.join(out, files["cooccurrence_matrix"]), "w+", np.float32, (n, n))
    block = 1024
    for lo in range(0, n, block):
        hi = min(n, lo + block)
        s = sim_rows(lo, hi); c = cooc_rows(lo, hi)
        if with_matrices:
            sim_mm[lo:hi] = s; co_mm[lo:hi] = c
        for m, (iv, vv) in ((s, (dec_idx, dec_val)), (c, (co_idx, co_val))):
            m = m.copy()
            m[np.arange(hi - lo), np.arange(lo, hi)] = -np.inf
            order = np.argsort(-m, axis=1, kind="stable")[:, :K]
            iv[lo:hi] = order
            vv[lo:hi] = np.take_along_axis(m, order, axis=1)
    co_idx[dead] = -1; co_val[dead] = 0.0
    if with_matrices:
        sim_mm.flush(); co_mm.flush(); del sim_mm, co_mm
    np.savez(os.path.join(out, files["neighbors"]), decoder_indices=dec_idx, decoder_values=dec_val,
             cooccurrence_indices=co_idx, cooccurrence_values=co_val)

    # Clusters: the decoder groups of features that fired, ordered by group then id.
    alive = np.flatnonzero(~dead)
    order = sorted(alive.tolist(), key=lambda i: (group[i], i))
    clusters = []
    cluster_of = [None] * n
    token_counts = {}
    for g in range(n_groups):
        members = [i for i in order if group[i] == g]
        if len(members) < 2:
            continue
        cid = len(clusters)
        for i in members:
            cluster_of[i] = cid
        ms = np.array(members)
        sub_s = dec[ms] @ dec[ms].T
        sub_c = latent[ms] @ latent[ms].T * 0.6
        off = ~np.eye(len(ms), dtype=bool)
        clusters.append({"id": cid, "members": members, "size": len(members),
                         "mean_cooccurrence": float(sub_c[off].mean()), "mean_decoder_cosine": float(sub_s[off].mean()),
                         "top_tokens": []})
        token_counts[cid] = {}

    def example(f, act):
        ctx = [str(rng.choice(vocab, p=p)) for _ in range(21)]
        acts = np.where(rng.random(21) < 0.15, rng.uniform(0, act, 21), 0.0)
        t = int(rng.integers(3, 18))
        acts[t] = act
        text_idx = int(rng.integers(0, 5000))
        pos = int(rng.integers(t, 500))
        return {"token": ctx[t], "activation": float(act), "context": "".join(ctx), "position": pos,
                "text_idx": text_idx, "global_idx": int(rng.integers(0, n_tokens)),
                "context_tokens": ctx, "context_activations": [round(float(a), 4) for a in acts],
                "target_index": t}

    with open(os.path.join(out, files["feature_summaries"]), "w", encoding="utf-8") as fs, \
            open(os.path.join(out, files["feature_labels"]), "w", encoding="utf-8") as fl:
        for f in range(n):
            if dead[f]:
                continue
            k = int(min(n_examples, count[f]))
            acts = np.sort(rng.uniform(mean_act[f], max_act[f], k))[::-1]
            acts[0] = max_act[f]
            tops = [example(f, float(a)) for a in acts]
            if cluster_of[f] is not None:
                for e in tops[:5]:
                    d = token_counts[cluster_of[f]]
                    d[e["token"]] = d.get(e["token"], 0) + 1
            edges = np.geomspace(max(1e-3, mean_act[f] / 20), max_act[f] * 1.0001, 31)
            counts = np.maximum(0, rng.normal(count[f] / 30, count[f] / 60, 30)).astype(int)
            qbins = []
            q_edges = np.linspace(0, max_act[f], 6)
            for b in range(5):
                lo, hi = float(q_edges[b]), float(q_edges[b + 1])
                qbins.append({"range": [lo, hi], "examples": [example(f, float(a)) for a in
                                                              rng.uniform(lo + 1e-6, hi, min(3, k))]})
            rec = {
                "feature": f, "activation_frequency": float(count[f]), "mean_activation": float(mean_act[f]),
                "top_examples": tops, "activation_count": int(count[f]), "frequency": float(freq[f]),
                "max_activation": float(max_act[f]),
                "histogram": {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts]},
                "quantile_examples": qbins,
                "logit_effects": {
                    "promoted": [{"token": str(rng.choice(vocab)), "token_id": int(rng.integers(0, 151000)),
                                  "value": float(v)} for v in np.sort(rng.uniform(0.2, 1.5, 10))[::-1]],
                    "suppressed": [{"token": str(rng.choice(vocab)), "token_id": int(rng.integers(0, 151000)),
                                    "value": float(v)} for v in np.sort(rng.uniform(-1.5, -0.2, 10))]},
                "neighbors": {
                    "decoder": [{"feature": int(i), "value": float(v)} for i, v in zip(dec_idx[f][:10], dec_val[f][:10])],
                    "cooccurrence": [{"feature": int(i), "value": float(v)} for i, v in zip(co_idx[f][:10], co_val[f][:10])]},
                "cluster": cluster_of[f],
            }
            fs.write(json.dumps(rec, ensure_ascii=False) + "\n")
            if f % 3 != 2:  # the labeler did not cover every feature
                label = {"feature": f, "activation_frequency": float(count[f]), "mean_activation": float(mean_act[f]),
                         "label": f"{tops[0]['token'].strip() or 'blank'} tokens in context",
                         "description": f"Fires on \"{tops[0]['token']}\" & similar tokens <in> science text.",
                         "category": "domain_term", "monosemantic": bool(f % 2), "interpretability_score": int(f % 5) + 1,
                         "knowledge_domain": "general_science", "abstraction_level": "lexical"}
                fl.write(json.dumps(label, ensure_ascii=True) + "\n")

    for c in clusters:
        c["top_tokens"] = [{"token": t, "count": k} for t, k in
                           sorted(token_counts[c["id"]].items(), key=lambda kv: -kv[1])[:8]]
    dump(os.path.join(out, files["clusters"]),
         {"method": "average-linkage on 1-|phi|, cut at 0.7", "seed": seed, "params": {"max_features": 512, "cut": 0.7},
          "order": order[:512], "clusters": clusters})
    dump(os.path.join(out, files["feature_table"]),
         {"n_features": n, "activation_count": count.tolist(), "frequency": freq.tolist(),
          "mean_activation": mean_act.tolist(), "max_activation": max_act.tolist(), "cluster": cluster_of})

    l0 = rng.normal(60, 15, 4000).clip(0)
    l0_counts, l0_edges = np.histogram(l0, bins=40)
    lf = np.log10(freq[~dead])
    f_counts, f_edges = np.histogram(lf, bins=40)
    metric_table = [
        {"group": "sparsity", "name": "l0_mean", "value": float(l0.mean()), "definition": "mean active features per token",
         "seed_value": float(l0.mean()), "seed_definition": "mean active features per token"},
        {"group": "dead", "name": "n_dead", "value": int(dead.sum()), "definition": "features that never fired on this corpus",
         "seed_value": 0, "seed_definition": "training-time ever_fired counter"},
        {"group": "reconstruction", "name": "explained_variance", "value": 0.71,
         "definition": "1 − Σ‖x−x̂‖² / Σ‖x−μ‖², μ per dimension", "seed_value": 0.9998,
         "seed_definition": "1 − var(flattened residual)/var(flattened x)"},
        {"group": "reconstruction", "name": "fvu", "value": 0.29, "definition": "Σ‖x−x̂‖² / Σ‖x−μ‖²",
         "seed_value": None, "seed_definition": None},
        {"group": "ablation", "name": "loss_recovered", "value": 0.93, "definition": "(L_abl − L_sae)/(L_abl − L_base), mean ablation",
         "seed_value": 0.995, "seed_definition": "same, with zero ablation"},
    ]
    results = {
        "sparsity": {"l0_mean": float(l0.mean()), "l0_std": float(l0.std()), "l1_mean": 120.5, "l1_std": 40.2,
                     "n_features": n, "n_tokens": n_tokens},
        "dead_features": {"n_dead": int(dead.sum()), "pct_dead": float(100 * dead.mean()), "threshold": 0.0,
                          "use_training_metric": False},
        "reconstruction": {"mse": 0.11, "explained_variance": 0.71, "cosine_similarity": 0.94, "original_std": 25.8,
                           "residual_std": 0.33, "n_tokens": n_tokens},
        "ablation": {"baseline_loss": 3.01, "zero_ablation_loss": 11.9, "sae_reconstruction_loss": 3.05,
                     "loss_recovered": 0.995, "n_batches": 100},
        "metric_table": metric_table, "variant": "without_first_token",
        "warnings": ["zero ablation is degenerate: the zero-ablated loss (11.9) is far above a unigram model's; "
                     "loss recovered is also given with mean ablation",
                     f"{int((freq > 0.1).sum())} features fire on more than 10% of tokens (dense)",
                     f"{int(dead.sum())} features never fired on this corpus",
                     "hook mismatch: the SAE was trained on blocks.9.hook_resid_post <and> the run used blocks.9.hook_resid_pre"],
        "run": {"n_texts": 5000, "n_texts_used": 4998, "n_tokens": n_tokens,
                "skipped_texts": [{"text_idx": 12, "reason": "empty"}, {"text_idx": 40, "reason": "empty"}],
                "timings_s": {"forward": 12.5, "encode": 3.1, "summaries": 2.2}, "tokens_per_second": 16000.0,
                "topk_mode": "threshold", "topk_threshold": 0.41, "versions": {"tool": "0.1.0"}, "hashes": {}},
        "histograms": {"feature_log10_frequency": {"edges": f_edges.tolist(), "counts": f_counts.tolist(),
                                                   "n_never_fired": int(dead.sum())},
                       "l0": {"edges": l0_edges.tolist(), "counts": l0_counts.tolist()}},
        "dense_features": {"above_10pct": np.flatnonzero(freq > 0.1).tolist(),
                           "above_1pct": np.flatnonzero(freq > 0.01).tolist()},
        "dead_feature_ids": np.flatnonzero(dead).tolist(), "training_dead_feature_ids": [],
    }
    dump(os.path.join(out, files["results"]), results)
    config = {"timestamp": TS, "model_name": "synthetic-model", "sae_path": "/sae/synthetic", "layer": 9,
              "hook_name": "hook_resid_post", "data_path": "/data/corpus.json", "batch_size": 16, "tool": "sae-report",
              "tool_version": "0.1.0", "sae_format": "seed", "architecture": "batchtopk", "hook": "blocks.9.hook_resid_post",
              "d_in": d_in, "d_sae": n, "k": 64, "topk_mode": "threshold", "ctx": 128, "batch_tokens": 4096,
              "exclude_first_token": True, "ablation": "mean", "seed": seed}
    dump(os.path.join(out, files["config"]), config)
    with open(os.path.join(out, files["readme"]), "w", encoding="utf-8") as f:
        f.write(f"# SAE Analysis Report\nGenerated: {TS}\n\n## Configuration\n- Model: synthetic-model\n"
                f"- Features: {n}\n- Note: escaping check <script>alert(1)</script> & \"quotes\"\n\n"
                "| metric | value |\n|---|---|\n| EV | 0.71 |\n")
    w, h = 240, 60
    img = np.full((h, w, 3), 255, np.uint8)
    xs = np.arange(w); ys = (h - 5 - (h - 10) * np.exp(-xs / 60)).astype(int)
    img[ys, xs] = [31, 119, 180]
    png_write(os.path.join(out, files["training_history_plot"]), w, h, img)
    top = np.argsort(-count, kind="stable")[:10].tolist()
    summary = {"timestamp": TS, "model": "synthetic-model", "sae_path": "/sae/synthetic", "layer": 9,
               "hook_name": "hook_resid_post", "dataset_size": 5000, "n_tokens_processed": n_tokens, "n_features": n,
               "sparsity": {k: results["sparsity"][k] for k in ("l0_mean", "l0_std", "l1_mean", "l1_std")},
               "dead_features": {"n_dead": int(dead.sum()), "pct_dead": float(100 * dead.mean())},
               "reconstruction": {k: results["reconstruction"][k] for k in ("mse", "explained_variance", "cosine_similarity")},
               "ablation": {k: results["ablation"][k] for k in ("baseline_loss", "zero_ablation_loss",
                                                               "sae_reconstruction_loss", "loss_recovered")},
               "top_features": top, "files": files}
    dump(os.path.join(out, f"SUMMARY_{TS}.json"), summary)


def make_seed_subset(seed_dir, summaries, n, out):
    os.makedirs(os.path.join(out, "results"), exist_ok=True)
    os.makedirs(os.path.join(out, "plots"), exist_ok=True)
    summary_name = next(f for f in os.listdir(seed_dir) if f.startswith("SUMMARY_"))
    for name in os.listdir(seed_dir):
        if name.endswith((".json", ".md")):
            shutil.copy(os.path.join(seed_dir, name), os.path.join(out, name))
    for name in os.listdir(os.path.join(seed_dir, "results")):
        if name.startswith("analysis_results"):
            shutil.copy(os.path.join(seed_dir, "results", name), os.path.join(out, "results", name))
    shutil.copy(os.path.join(seed_dir, "plots", "training_history.png"), os.path.join(out, "plots"))
    summary = json.load(open(os.path.join(seed_dir, summary_name)))
    with open(summaries) as src, open(os.path.join(out, summary["files"]["feature_summaries"]), "w") as dst:
        kept = []
        for line in src:
            if len(kept) == n:
                break
            dst.write(line)
            kept.append(json.loads(line)["feature"])
    with open(os.path.join(seed_dir, "results", "feature_labels_llm.jsonl")) as src, \
            open(os.path.join(out, "results", "feature_labels_llm.jsonl"), "w") as dst:
        for line in src:
            # The kept features' labels, plus a few of features without a record (their pages use the labels' stats).
            if json.loads(line)["feature"] in kept or 4000 <= json.loads(line)["feature"] < 4005:
                dst.write(line)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--features", type=int)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--examples", type=int, default=20)
    ap.add_argument("--no-matrices", action="store_true")
    ap.add_argument("--seed-subset", nargs=3, metavar=("SEED_DIR", "SUMMARIES_JSONL", "N"))
    ap.add_argument("out")
    a = ap.parse_args()
    if a.seed_subset:
        make_seed_subset(a.seed_subset[0], a.seed_subset[1], int(a.seed_subset[2]), a.out)
    else:
        make_synthetic(a.features, a.out, a.seed, not a.no_matrices, a.examples)


if __name__ == "__main__":
    main()
