#!/usr/bin/env python3
"""Writes Tests/Fixtures/compare/matching.json: reference values for feature matching by decoder cosine, computed
here independently with numpy in float64.

    python3 scripts/make_compare_fixtures.py

Contents
- "random": two small decoders A [40, 16] and B [32, 16] (float32 values, exactly representable), where 20 rows of B
  are noisy copies of rows of A at increasing noise levels (so best cosines span the range) and the rest are random;
  for each direction the best-match index and cosine (rows normalised as d / (||d|| + 1e-8), ties to the lower id).
- "seed_saes": the same for the decoders of Tests/Fixtures/sae/seed-sae-btopk8-l2 and seed-sae-relu-l2 (d_in 64,
  d_sae 256 each, written by the seed's own code), read with torch, plus the sha256 of each weights.pt.
"""
import hashlib
import json
import os

import numpy as np
import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "Tests", "Fixtures", "compare")
SAES = os.path.join(ROOT, "Tests", "Fixtures", "sae")


def best_matches(a, b):
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    a = a / (np.linalg.norm(a, axis=1, keepdims=True) + 1e-8)
    b = b / (np.linalg.norm(b, axis=1, keepdims=True) + 1e-8)
    cos = a @ b.T
    a_to_b = cos.argmax(axis=1)
    b_to_a = cos.argmax(axis=0)
    # Second-best gaps, so the test can tell a float32 near-tie from a real disagreement.
    def gap(matrix):
        top2 = np.sort(matrix, axis=1)[:, -2:]
        return (top2[:, 1] - top2[:, 0]).tolist()
    return {
        "a_to_b": {"index": a_to_b.tolist(), "cosine": cos.max(axis=1).tolist(), "gap": gap(cos)},
        "b_to_a": {"index": b_to_a.tolist(), "cosine": cos.max(axis=0).tolist(), "gap": gap(cos.T)},
    }


def random_case(rng):
    d, m_a, m_b = 16, 40, 32
    a = rng.standard_normal((m_a, d)).astype(np.float32)
    b = rng.standard_normal((m_b, d)).astype(np.float32)
    sources = rng.permutation(m_a)[:20]
    for row, (source, noise) in enumerate(zip(sources, np.linspace(0.0, 1.5, 20))):
        b[row] = (a[source] * rng.uniform(0.5, 3.0) + noise * rng.standard_normal(d)).astype(np.float32)
    b = b[rng.permutation(m_b)]
    case = {"d": d, "a": a.tolist(), "b": b.tolist()}
    case.update(best_matches(a, b))
    return case


def seed_case():
    names = ["seed-sae-btopk8-l2", "seed-sae-relu-l2"]
    decoders, hashes = [], []
    for name in names:
        path = os.path.join(SAES, name, "weights.pt")
        state = torch.load(path, map_location="cpu", weights_only=True)
        decoders.append(state["W_dec"].float().numpy())
        hashes.append(hashlib.sha256(open(path, "rb").read()).hexdigest())
    case = {"saes": names, "weights_sha256": hashes}
    case.update(best_matches(*decoders))
    return case


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20260106)
    fixture = {"random": random_case(rng), "seed_saes": seed_case()}
    with open(os.path.join(OUT, "matching.json"), "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")
    r = fixture["random"]
    print("random: best cosines A->B", np.round(sorted(r["a_to_b"]["cosine"]), 3)[:5], "...",
          "| seed SAEs: mean best cosine", np.mean(fixture["seed_saes"]["a_to_b"]["cosine"]))


if __name__ == "__main__":
    main()
