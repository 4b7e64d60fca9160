#!/usr/bin/env python3
"""Writes Tests/Fixtures/sae/: SAE directories in the seed's and SAELens's formats, random activations, and golden
values for every encoding mode and metric, computed here independently with numpy in float64.

    python3 scripts/make_sae_fixtures.py

Contents
- seed-sae-btopk8-l2/, seed-sae-relu-l2/: copies of /work/shared/fixtures (written by the seed's own code).
- saelens-*/: cfg.json + sae_weights.safetensors in the SAELens layouts (legacy flat and v6 nested configs; standard,
  topk with rescale_acts_by_decoder_norm, jumprelu with F16 weights, expected_average_only_in + activation_scaler.json,
  legacy finetuning scaling factor). Written with numpy + safetensors, following the formulas of SAELens v6
  (sae_lens/saes/*.py) as summarised in shared/reference/metrics_formats.md §1.8 and §2.1.
- bad-*/: small broken SAE directories (missing tensor, wrong shape, NaN, hook_spec mismatch, unsupported options).
- activations.npy: X, float32 [300, 64]; tokens.json: per-row is_first flags and the batch pools (groups of texts).
- golden.json: per SAE and mode, the codes of the first rows (dense), per-token L0 / L1 / SSE for all rows, the
  threshold of threshold mode, and every metric (both token variants); CE/KL metrics from random logits.
"""
import json
import os
import shutil

import numpy as np
import torch
from safetensors.numpy import save_file

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "Tests", "Fixtures", "sae")
SHARED = "/work/shared/fixtures"

D_IN = 64
N_ROWS = 300
N_CODE_ROWS = 12          # rows whose full dense codes are stored
MARGIN = 2e-5             # minimum relative gap at every selection boundary (so float32 selects the same entries)


# ---------------------------------------------------------------------------------------------------------------
# Activations

def make_activations(rng):
    """Texts of random lengths; position 0 of each text is a high-norm 'attention sink' row; per-dimension offsets."""
    lengths = []
    while sum(lengths) < N_ROWS:
        lengths.append(int(rng.integers(3, 30)))
    lengths[-1] -= sum(lengths) - N_ROWS
    if lengths[-1] < 2:
        lengths[-2] += lengths[-1]
        lengths.pop()
    offset = rng.normal(0, 0.6, size=D_IN)
    x = rng.normal(0, 1.0, size=(N_ROWS, D_IN)) + offset
    is_first = np.zeros(N_ROWS, dtype=bool)
    start = 0
    for length in lengths:
        is_first[start] = True
        x[start] = x[start] * 6.0 + 3.0
        start += length
    # Pools of 4 texts (the seed's batches of texts).
    pools = []
    start = 0
    for i in range(0, len(lengths), 4):
        n = sum(lengths[i:i + 4])
        pools.append([start, start + n])
        start += n
    return x.astype(np.float32), is_first, pools


# ---------------------------------------------------------------------------------------------------------------
# SAE reference (float64)

class RefSAE:
    """An SAE as numpy float64 arrays plus its encoding rule."""

    def __init__(self, w_enc, b_enc, w_dec, b_dec, *, kind, k=None, threshold=None, apply_b_dec=True,
                 use_b_enc=True, scale=1.0, rescale_by_decoder_norm=False, feature_scale=None):
        self.w_enc, self.b_enc, self.w_dec, self.b_dec = (np.asarray(a, np.float64) for a in (w_enc, b_enc, w_dec, b_dec))
        self.kind, self.k = kind, k
        self.threshold = None if threshold is None else np.asarray(threshold, np.float64)
        self.apply_b_dec, self.use_b_enc, self.scale = apply_b_dec, use_b_enc, scale
        self.rescale = rescale_by_decoder_norm
        self.feature_scale = None if feature_scale is None else np.asarray(feature_scale, np.float64)

    def pre(self, x):
        x = np.asarray(x, np.float64) * self.scale
        if self.apply_b_dec:
            x = x - self.b_dec
        pre = x @ self.w_enc
        if self.use_b_enc:
            pre = pre + self.b_enc
        if self.rescale:
            pre = pre * np.linalg.norm(self.w_dec, axis=1)
        return pre

    def decode(self, f):
        f = np.asarray(f, np.float64)
        if self.rescale:
            f = f / np.linalg.norm(self.w_dec, axis=1)
        if self.feature_scale is not None:
            f = f * self.feature_scale
        return (f @ self.w_dec + self.b_dec) / self.scale


def check_margin(values, boundary, what):
    """No value may lie within MARGIN (relative) of a selection boundary, else float32 could select differently."""
    values = np.asarray(values).ravel()
    scale = max(abs(boundary), 1e-3)
    close = np.abs(values - boundary) < MARGIN * scale
    # The boundary value itself is selected on purpose (it is one of the values); any *other* value that close is a tie.
    if close.sum() > 1:
        raise SystemExit(f"near-tie at {what}: {values[close]} around {boundary}; change the seed")


def relu_codes(pre):
    check_margin(pre, 0.0, "ReLU zero")
    return np.maximum(pre, 0.0)


def jumprelu_codes(pre, theta):
    for j in range(pre.shape[1]):
        check_margin(pre[:, j], theta[j], f"JumpReLU threshold {j}")
    return np.where((pre > theta) & (pre > 0), pre, 0.0)


def token_topk_codes(pre, k):
    out = np.zeros_like(pre)
    for t in range(pre.shape[0]):
        order = np.argsort(-pre[t])
        kth, next_ = pre[t, order[k - 1]], pre[t, order[k]]
        if kth > 0 and abs(kth - next_) < MARGIN * max(abs(kth), 1e-3):
            raise SystemExit(f"near-tie in token top-k row {t}")
        keep = order[:k]
        out[t, keep] = np.maximum(pre[t, keep], 0.0)
    return out


def pool_topk_codes(dense, k):
    """The seed's BatchTopK: keep the top N·k of the pool's dense ReLU values (zeros selected contribute nothing)."""
    flat = dense.ravel()
    total = min(dense.shape[0] * k, flat.size)
    order = np.argsort(-flat, kind="stable")
    kth = flat[order[total - 1]]
    if total < flat.size:
        nxt = flat[order[total]]
        if kth > 0 and abs(kth - nxt) < MARGIN * max(abs(kth), 1e-3):
            raise SystemExit("near-tie in pool top-k")
    out = np.zeros_like(flat)
    out[order[:total]] = flat[order[:total]]
    return out.reshape(dense.shape)


def calibrated_threshold(dense, k):
    """The (N·k)-th largest dense value over N tokens (0 when fewer are positive)."""
    flat = np.sort(dense.ravel())[::-1]
    total = min(dense.shape[0] * k, flat.size)
    theta = flat[total - 1]
    if theta > 0:
        nxt = flat[total] if total < flat.size else -np.inf
        if abs(theta - nxt) < MARGIN * theta:
            raise SystemExit("near-tie at the calibrated threshold")
    return max(theta, 0.0)


def threshold_codes(dense, theta):
    return np.where((dense >= theta) & (dense > 0), dense, 0.0)


# ---------------------------------------------------------------------------------------------------------------
# Metric reference (float64)

def sparsity_metrics(codes, rows):
    f = codes[rows]
    n = f.shape[0]
    l0 = (f > 0).sum(1).astype(np.float64)
    l1 = np.abs(f).sum(1)
    counts = (f > 0).sum(0)
    freq = counts / n
    return {
        "n_tokens": int(n),
        "l0_mean": l0.mean(), "l0_std": l0.std(), "l1_mean": l1.mean(), "l1_std": l1.std(),
        "dead_feature_ids": [int(i) for i in np.nonzero(counts == 0)[0]],
        "dense_above_10pct": [int(i) for i in np.nonzero(freq > 0.1)[0]],
        "dense_above_1pct": [int(i) for i in np.nonzero(freq > 0.01)[0]],
        "activation_counts": [int(c) for c in counts],
    }


def cosine(a, b):
    na, nb = np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)
    dot = (a * b).sum(1)
    return np.where((na > 0) & (nb > 0), dot / np.maximum(na * nb, 1e-300), 0.0)


def reconstruction_metrics(x, xhat, pools, rows_mask):
    """Ours (pooled over tokens) and the seed's (per-pool flattened Bessel variances, token-weighted)."""
    x = x.astype(np.float64)
    xs, xhs, pool_ids = [], [], []
    for p, (a, b) in enumerate(pools):
        sel = np.arange(a, b)[rows_mask[a:b]]
        if len(sel) == 0:
            continue
        xs.append(x[sel]); xhs.append(xhat[sel]); pool_ids.append(p)
    X, XH = np.concatenate(xs), np.concatenate(xhs)
    R = X - XH
    n, d = X.shape
    sse = (R ** 2).sum(1)
    mu = X.mean(0)
    total = ((X - mu) ** 2).sum()
    nx, nxh = np.linalg.norm(X, axis=1), np.linalg.norm(XH, axis=1)
    ratio = nxh / np.where(nx < 1e-4, 1.0, nx)
    legacy = []
    seed_var_x = seed_var_r = seed_mse = seed_cos = 0.0
    for xb, xhb in zip(xs, xhs):
        rb = xb - xhb
        mub = xb.mean(0)
        legacy.extend(1 - (rb ** 2).sum(1) / ((xb - mub) ** 2).sum(1))
        nb = xb.shape[0]
        seed_var_x += xb.ravel().var(ddof=1) * nb if xb.size > 1 else 0.0
        seed_var_r += rb.ravel().var(ddof=1) * nb if rb.size > 1 else 0.0
        seed_mse += (rb ** 2).mean() * nb
        seed_cos += cosine(xb, xhb).mean() * nb
    return {
        "n_tokens": int(n),
        "mse_per_element": sse.sum() / (n * d),
        "mse_per_token": sse.mean(),
        "explained_variance": 1 - sse.sum() / total,
        "explained_variance_legacy": float(np.mean(legacy)),
        "cosine_similarity": cosine(X, XH).mean(),
        "relative_reconstruction_bias": (nxh ** 2).sum() / (X * XH).sum(1).sum(),
        "l2_ratio": ratio.mean(),
        "l2_norm_in": nx.mean(), "l2_norm_out": nxh.mean(),
        "mean_activation": [float(v) for v in mu],
        "seed_mse": seed_mse / n,
        "seed_explained_variance": 1 - seed_var_r / seed_var_x,
        "seed_cosine_similarity": seed_cos / n,
        "seed_original_std": float(np.sqrt(seed_var_x / n)),
        "seed_residual_std": float(np.sqrt(seed_var_r / n)),
    }


def log_softmax(z):
    z = np.asarray(z, np.float64)
    m = z.max(1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(1, keepdims=True))


def downstream_metrics(batches, rows_mask_fn):
    """CE (token-weighted over next-token targets), KL(clean‖other) per position, and the seed's mean of per-batch means."""
    ce = {"clean": [], "sae": [], "zero": [], "mean": []}
    kl = {"sae": [], "zero": [], "mean": []}
    batch_means = {"clean": [], "sae": [], "zero": []}
    for batch in batches:
        keep = rows_mask_fn(batch)
        lp = {name: log_softmax(batch[name]) for name in ("clean", "sae", "zero", "mean")}
        targets = batch["targets"]
        has_target = (targets >= 0) & keep
        rows = np.nonzero(has_target)[0]
        per = {name: -lp[name][rows, targets[rows]] for name in lp}
        for name in ce:
            ce[name].extend(per[name])
        if len(rows):
            for name in batch_means:
                batch_means[name].append(per[name].mean())
        p = np.exp(lp["clean"])
        for name in kl:
            kl[name].extend((p * (lp["clean"] - lp[name])).sum(1)[keep])
    mean = {name: float(np.mean(v)) for name, v in ce.items()}
    seed = {name: float(np.mean(v)) for name, v in batch_means.items()}
    return {
        "n_targets": len(ce["clean"]), "n_positions": len(kl["sae"]),
        "ce_baseline": mean["clean"], "ce_spliced": mean["sae"], "ce_zero_ablated": mean["zero"],
        "ce_mean_ablated": mean["mean"],
        "delta_ce": mean["sae"] - mean["clean"],
        "loss_recovered_zero": (mean["zero"] - mean["sae"]) / (mean["zero"] - mean["clean"]),
        "loss_recovered_mean": (mean["mean"] - mean["sae"]) / (mean["mean"] - mean["clean"]),
        "kl_spliced": float(np.mean(kl["sae"])), "kl_zero_ablated": float(np.mean(kl["zero"])),
        "kl_mean_ablated": float(np.mean(kl["mean"])),
        "seed_baseline_loss": seed["clean"], "seed_sae_loss": seed["sae"], "seed_zero_ablation_loss": seed["zero"],
        "seed_loss_recovered": 1 - (seed["sae"] - seed["clean"]) / (seed["zero"] - seed["clean"]),
        "seed_n_batches": len(batch_means["clean"]),
    }


# ---------------------------------------------------------------------------------------------------------------
# SAE directories

def write_saelens(name, cfg, tensors, extra_files=None):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "cfg.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    save_file({k: np.ascontiguousarray(v) for k, v in tensors.items()}, os.path.join(d, "sae_weights.safetensors"))
    for file_name, content in (extra_files or {}).items():
        with open(os.path.join(d, file_name), "w") as f:
            json.dump(content, f)


def random_sae(rng, d_sae, unit_decoder=True, b_enc_mean=-0.05):
    w_dec = rng.normal(0, 1, size=(d_sae, D_IN))
    if unit_decoder:
        w_dec /= np.linalg.norm(w_dec, axis=1, keepdims=True)
    else:
        w_dec *= rng.uniform(0.05, 0.3, size=(d_sae, 1))
    w_enc = (w_dec.T * rng.uniform(0.5, 1.5, size=d_sae)) / np.sqrt(D_IN) + rng.normal(0, 0.05, size=(D_IN, d_sae))
    b_enc = rng.normal(b_enc_mean, 0.05, size=d_sae)
    b_dec = rng.normal(0, 0.1, size=D_IN)
    return [a.astype(np.float32) for a in (w_enc, b_enc, w_dec, b_dec)]


def make_saelens_saes(rng):
    saes = {}
    # Legacy flat config (SAELens < 6): standard ReLU, hook_point naming, finetuning scaling factor.
    w_enc, b_enc, w_dec, b_dec = random_sae(rng, 96)
    scaling = rng.uniform(0.8, 1.2, size=96).astype(np.float32)
    write_saelens("saelens-standard-legacy", {
        "model_name": "tiny-qwen3", "hook_point": "blocks.2.hook_resid_post", "hook_point_layer": 2,
        "hook_point_head_index": None, "d_in": D_IN, "d_sae": 96, "dtype": "float32", "device": "cpu",
        "context_size": 128, "dataset_path": "fixture", "prepend_bos": True, "normalize_activations": False,
        "apply_b_dec_to_input": True, "finetuning_scaling_factor": True, "activation_fn_str": "relu",
        "sae_lens_training_version": "3.5.0"},
        {"W_enc": w_enc, "b_enc": b_enc, "W_dec": w_dec, "b_dec": b_dec, "scaling_factor": scaling})
    saes["saelens-standard-legacy"] = RefSAE(w_enc, b_enc, w_dec, b_dec, kind="relu", feature_scale=scaling)

    # v6 nested config: topk, decoder norms not 1 and rescale_acts_by_decoder_norm.
    w_enc, b_enc, w_dec, b_dec = random_sae(rng, 80, unit_decoder=False, b_enc_mean=0.0)
    write_saelens("saelens-topk-v6", {
        "d_in": D_IN, "d_sae": 80, "dtype": "float32", "device": "cpu", "apply_b_dec_to_input": True,
        "normalize_activations": "none", "reshape_activations": "none", "architecture": "topk", "k": 6,
        "rescale_acts_by_decoder_norm": True,
        "metadata": {"model_name": "tiny-qwen3", "hook_name": "blocks.2.hook_resid_post", "hook_head_index": None,
                     "prepend_bos": False, "context_size": 128, "sae_lens_version": "6.18.0"}},
        {"W_enc": w_enc, "b_enc": b_enc, "W_dec": w_dec, "b_dec": b_dec})
    saes["saelens-topk-v6"] = RefSAE(w_enc, b_enc, w_dec, b_dec, kind="topk", k=6, rescale_by_decoder_norm=True)

    # v6 jumprelu (Gemma Scope style: no b_dec subtraction), F16 weights; the reference uses the F16-rounded values.
    w_enc, b_enc, w_dec, b_dec = random_sae(rng, 72, b_enc_mean=0.0)
    threshold = rng.uniform(0.05, 0.6, size=72).astype(np.float32)
    half = {n: a.astype(np.float16) for n, a in
            {"W_enc": w_enc, "b_enc": b_enc, "W_dec": w_dec, "b_dec": b_dec, "threshold": threshold}.items()}
    write_saelens("saelens-jumprelu-f16", {
        "d_in": D_IN, "d_sae": 72, "dtype": "float16", "device": "cpu", "apply_b_dec_to_input": False,
        "normalize_activations": "none", "reshape_activations": "none", "architecture": "jumprelu",
        "metadata": {"model_name": "tiny-qwen3", "hook_name": "blocks.1.hook_resid_post", "sae_lens_version": "6.5.0"}},
        half)
    h = {n: a.astype(np.float64) for n, a in half.items()}
    saes["saelens-jumprelu-f16"] = RefSAE(h["W_enc"], h["b_enc"], h["W_dec"], h["b_dec"], kind="jumprelu",
                                         threshold=h["threshold"], apply_b_dec=False)

    # expected_average_only_in with the factor in activation_scaler.json (SAELens >= 6 writes it next to the weights).
    w_enc, b_enc, w_dec, b_dec = random_sae(rng, 64)
    scale = 0.37
    write_saelens("saelens-scaled", {
        "d_in": D_IN, "d_sae": 64, "dtype": "float32", "device": "cpu", "apply_b_dec_to_input": True,
        "normalize_activations": "expected_average_only_in", "reshape_activations": "none", "architecture": "standard",
        "metadata": {"model_name": "tiny-qwen3", "hook_name": "blocks.2.hook_resid_post", "sae_lens_version": "6.18.0"}},
        {"W_enc": w_enc, "b_enc": b_enc, "W_dec": w_dec, "b_dec": b_dec},
        extra_files={"activation_scaler.json": {"scaling_factor": scale}})
    saes["saelens-scaled"] = RefSAE(w_enc, b_enc, w_dec, b_dec, kind="relu", scale=scale)
    return saes


def load_seed_sae(name):
    sd = torch.load(os.path.join(OUT, name, "weights.pt"), map_location="cpu", weights_only=True)
    cfg = json.load(open(os.path.join(OUT, name, "config.json")))
    k = cfg["top_k"]
    a = {key: sd[key].numpy() for key in ("W_enc", "b_enc", "W_dec", "b_dec")}
    kind = "batchtopk" if k else "relu"
    sae = RefSAE(a["W_enc"], a["b_enc"], a["W_dec"], a["b_dec"], kind=kind, k=k, use_b_enc=not k)
    ever = sd["ever_fired"].numpy() if "ever_fired" in sd else None
    return sae, ever


def make_bad_saes(rng):
    """Tiny broken directories: the loader must throw an InputError naming the file and the problem."""
    def seed_dir(name, state, cfg_overrides=None, raw_config=None):
        d = os.path.join(OUT, name)
        os.makedirs(d, exist_ok=True)
        cfg = {"d_in": 4, "d_sae": 8, "l1_coefficient": 0, "dtype": "float32", "device": "cpu", "hook_layer": "1",
               "hook_name": "hook_resid_post", "hook_spec": "blocks.1.hook_resid_post", "top_k": None}
        cfg.update(cfg_overrides or {})
        with open(os.path.join(d, "config.json"), "w") as f:
            f.write(raw_config if raw_config is not None else json.dumps(cfg))
        torch.save(state, os.path.join(d, "weights.pt"))

    def good():
        g = torch.Generator().manual_seed(1)
        return {"W_enc": torch.randn(4, 8, generator=g), "b_enc": torch.zeros(8), "W_dec": torch.randn(8, 4, generator=g),
                "b_dec": torch.zeros(4)}

    state = good(); del state["W_dec"]
    seed_dir("bad-seed-missing-wdec", state)
    state = good(); state["W_enc"] = state["W_enc"].T.contiguous()
    seed_dir("bad-seed-transposed-wenc", state)
    state = good(); state["b_dec"][2] = float("nan")
    seed_dir("bad-seed-nan", state)
    seed_dir("bad-seed-hook-spec", good(), {"hook_spec": "blocks.5.hook_resid_post"})
    seed_dir("bad-seed-config-json", good(), raw_config='{"d_in": 4, "d_sae": ')
    seed_dir("ok-seed-old-config", good(), {"use_error_term": False, "hook_layer": 1})  # tolerated: int layer, extra key
    d = os.path.join(OUT, "ok-seed-old-config")
    cfg = json.load(open(os.path.join(d, "config.json")))
    cfg.pop("top_k")
    cfg.pop("hook_spec")
    json.dump(cfg, open(os.path.join(d, "config.json"), "w"))

    w_enc, b_enc, w_dec, b_dec = (a[:4, :8] if a.ndim == 2 and a.shape[0] == D_IN else a for a in random_sae(rng, 8))
    tensors = {"W_enc": w_enc[:4], "b_enc": b_enc, "W_dec": w_dec[:, :4].copy(), "b_dec": b_dec[:4].copy()}
    write_saelens("bad-saelens-normalization", {
        "d_in": 4, "d_sae": 8, "dtype": "float32", "apply_b_dec_to_input": True, "normalize_activations": "batch_norm",
        "architecture": "standard", "metadata": {"hook_name": "blocks.1.hook_resid_post"}}, tensors)
    write_saelens("bad-saelens-gated", {   # gated, but the weights lack b_gate / r_mag / b_mag
        "d_in": 4, "d_sae": 8, "dtype": "float32", "architecture": "gated",
        "metadata": {"hook_name": "blocks.1.hook_resid_post"}}, tensors)
    write_saelens("bad-saelens-no-scaler", {
        "d_in": 4, "d_sae": 8, "dtype": "float32", "normalize_activations": "expected_average_only_in",
        "architecture": "standard", "metadata": {"hook_name": "blocks.1.hook_resid_post"}}, tensors)
    write_saelens("bad-saelens-dsae", {
        "d_in": 4, "d_sae": 9, "dtype": "float32", "architecture": "standard",
        "metadata": {"hook_name": "blocks.1.hook_resid_post"}}, tensors)


def rounded(value):
    """Floats with 9 significant digits: exact for float32 inputs, far inside the 1e-4 test tolerance otherwise."""
    if isinstance(value, float):
        return float(f"{value:.9g}")
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------------------------------

def main():
    os.makedirs(OUT, exist_ok=True)
    for name in ("seed-sae-btopk8-l2", "seed-sae-relu-l2"):
        shutil.rmtree(os.path.join(OUT, name), ignore_errors=True)
        shutil.copytree(os.path.join(SHARED, name), os.path.join(OUT, name))
        os.chmod(os.path.join(OUT, name), 0o755)
        for f in os.listdir(os.path.join(OUT, name)):
            os.chmod(os.path.join(OUT, name, f), 0o644)

    rng = np.random.default_rng(20260401)
    x, is_first, pools = make_activations(rng)
    np.save(os.path.join(OUT, "activations.npy"), x)
    with open(os.path.join(OUT, "tokens.json"), "w") as f:
        json.dump({"is_first": [bool(b) for b in is_first], "pools": pools}, f)

    saes = make_saelens_saes(rng)
    make_bad_saes(rng)
    seed_btopk, ever_btopk = load_seed_sae("seed-sae-btopk8-l2")
    seed_relu, ever_relu = load_seed_sae("seed-sae-relu-l2")

    cases = {}  # name -> (sae, mode)
    cases["seed-sae-relu-l2"] = (seed_relu, None)
    for mode in ("threshold", "token", "batch"):
        cases[f"seed-sae-btopk8-l2/{mode}"] = (seed_btopk, mode)
    cases["saelens-standard-legacy"] = (saes["saelens-standard-legacy"], None)
    cases["saelens-topk-v6/token"] = (saes["saelens-topk-v6"], "token")
    cases["saelens-topk-v6/threshold"] = (saes["saelens-topk-v6"], "threshold")
    cases["saelens-jumprelu-f16"] = (saes["saelens-jumprelu-f16"], None)
    cases["saelens-scaled"] = (saes["saelens-scaled"], None)

    golden = {"cases": {}}
    keep_all = np.ones(N_ROWS, dtype=bool)
    for name, (sae, mode) in cases.items():
        pre = sae.pre(x)
        theta = None
        if sae.kind == "relu":
            codes = relu_codes(pre)
        elif sae.kind == "jumprelu":
            codes = jumprelu_codes(pre, sae.threshold)
        else:
            dense = np.maximum(pre, 0.0)
            if mode == "token":
                codes = token_topk_codes(pre, sae.k)
            elif mode == "batch":
                codes = np.concatenate([pool_topk_codes(dense[a:b], sae.k) for a, b in pools])
            else:
                theta = calibrated_threshold(dense, sae.k)
                check_margin(dense, theta, "calibrated threshold")
                codes = threshold_codes(dense, theta)
        xhat = sae.decode(codes)
        entry = {
            "mode": mode, "threshold": theta,
            "codes_first_rows": codes[:N_CODE_ROWS].astype(np.float64).ravel().tolist(),
            "reconstruction_first_rows": xhat[:N_CODE_ROWS].ravel().tolist(),
            "l0": (codes > 0).sum(1).tolist(), "l1": np.abs(codes).sum(1).tolist(),
            "sse": ((x.astype(np.float64) - xhat) ** 2).sum(1).tolist(),
            "sparsity": {"all_tokens": sparsity_metrics(codes, keep_all),
                         "without_first_token": sparsity_metrics(codes, ~is_first)},
            "reconstruction": {"all_tokens": reconstruction_metrics(x, xhat, pools, keep_all),
                               "without_first_token": reconstruction_metrics(x, xhat, pools, ~is_first)},
        }
        golden["cases"][name] = entry
    golden["training_dead"] = {"seed-sae-btopk8-l2": [int(i) for i in np.nonzero(~ever_btopk)[0]],
                               "seed-sae-relu-l2": [int(i) for i in np.nonzero(~ever_relu)[0]]}

    # The paper-style golden vector of metrics_formats.md §6, as a cross-check of the formulas above.
    gx = np.array([[2, 0, 1], [0, 4, 1], [1, 1, 1], [3, 1, 1]], dtype=np.float64)
    gxh = np.array([[2, 1, 1], [0, 3, 1], [1, 1, .5], [2.5, 1, 1]])
    ref = reconstruction_metrics(gx, gxh, [[0, 4]], np.ones(4, dtype=bool))
    assert abs(ref["explained_variance"] - 0.8214286) < 1e-6 and abs(ref["explained_variance_legacy"] - 0.7205882) < 1e-6
    assert abs(ref["relative_reconstruction_bias"] - 0.883333) < 1e-6 and abs(ref["l2_ratio"] - 0.898615) < 1e-6

    # CE / KL from random logits: 3 batches of texts; zero ablation = all-zero logits (the degenerate Qwen3 case).
    vocab = 50
    batches = []
    for n_texts in (3, 2, 4):
        lengths = rng.integers(2, 9, size=n_texts)
        n = int(lengths.sum())
        tokens = rng.integers(0, vocab, size=n)
        targets = np.full(n, -1)
        first = np.zeros(n, dtype=bool)
        start = 0
        for length in lengths:
            first[start] = True
            targets[start:start + length - 1] = tokens[start + 1:start + length]
            start += length
        clean = rng.normal(0, 2.0, size=(n, vocab))
        has_target = targets >= 0
        clean[np.nonzero(has_target)[0], targets[has_target]] += 4.0   # a model that predicts better than uniform
        batches.append({"clean": clean, "sae": clean + rng.normal(0, 0.7, size=(n, vocab)),
                        "zero": np.zeros((n, vocab)), "mean": rng.normal(0, 1.0, size=(n, vocab)),
                        "targets": targets, "is_first": first})
    golden["downstream"] = {
        "vocab": vocab,
        "batches": [{"clean": b["clean"].astype(np.float32).ravel().tolist(),
                     "sae": b["sae"].astype(np.float32).ravel().tolist(),
                     "mean": b["mean"].astype(np.float32).ravel().tolist(),
                     "targets": b["targets"].tolist(), "is_first": b["is_first"].tolist()} for b in batches],
    }
    # The reference uses the float32-rounded logits the Swift test reads.
    for b in batches:
        for name in ("clean", "sae", "mean"):
            b[name] = b[name].astype(np.float32).astype(np.float64)
    golden["downstream"]["all_tokens"] = downstream_metrics(batches, lambda b: np.ones(len(b["targets"]), dtype=bool))
    golden["downstream"]["without_first_token"] = downstream_metrics(batches, lambda b: ~b["is_first"])

    with open(os.path.join(OUT, "golden.json"), "w") as f:
        json.dump(rounded(golden), f, separators=(",", ":"))
    print("wrote", OUT)


if __name__ == "__main__":
    main()
