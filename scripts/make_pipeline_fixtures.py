#!/usr/bin/env python3
"""End-to-end fixtures for `AnalysisPipeline` (Tests/AnalyzeTests/Pipeline): a tiny BF16 Qwen3 (trained for a few
steps on the corpus so that loss recovered is defined) with a 512-token
byte-level BPE tokenizer, a small corpus, and expected.json: every metric and per-feature number that
`sae-report analyze` writes, computed here independently with transformers (fp32 compute on the BF16 weights) and
numpy in float64, for the seed-format SAEs in Tests/Fixtures/sae (BatchTopK k=8 in `--topk-mode token`, and ReLU).

    python3 scripts/make_pipeline_fixtures.py            # writes Tests/Fixtures/pipeline/
    python3 scripts/make_pipeline_fixtures.py --check DIR # checks an analysis directory with numpy/scipy

The run the expected values describe (the Swift test uses the same options): ctx CTX, batch_tokens BATCH_TOKENS
(windows packed in order, a new batch when the next window does not fit), ablation both on every token, and a
calibration sample covering every batch, so mean ablation uses μ = the mean hook activation over all tokens.
Selection boundaries (ReLU at 0, the k-th code of a token) closer than MARGIN are listed per feature in
`ambiguous`, so the test can allow those few firings to differ.
Deterministic: seeded, one CPU thread.
"""
import argparse
import json
import os
import sys

os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "Tests", "Fixtures", "pipeline")
SAE_DIR = os.path.join(ROOT, "Tests", "Fixtures", "sae")
SAES = {"btopk": "seed-sae-btopk8-l2", "relu": "seed-sae-relu-l2"}
QWEN_SPLIT = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
EOT = "<|endoftext|>"
VOCAB_SIZE = 512
LAYER = 2
CTX = 24
BATCH_TOKENS = 64
TOP_EXAMPLES = 5
TRAIN_STEPS = 150
MARGIN = 2e-5            # absolute gap (activations are O(1)) below which float32 may select differently


def corpus():
    words = ("the river bends past the old mill where children fish for silver trout in late summer light "
             "a quiet engine hums under the floor while numbers 12 and 3.5 scroll across the green screen").split()
    rng = np.random.default_rng(7)
    texts = []
    for i in range(54):
        n = int(rng.integers(3, 14))
        texts.append(" ".join(words[j] for j in rng.integers(0, len(words), n)).capitalize() + ".")
    texts[5] = ""
    texts[11] = "   \n\t  "
    texts[17] = '<script>alert("x & y")</script> <b>bold</b> &amp; </textarea> {{mustache}} \'quoted\''
    texts[23] = "Ünïcödé café — naïve 中文 text 🙂 and tabs\tinside"
    texts[29] = " ".join(words[(3 * j) % len(words)] for j in range(70)) + "."   # longer than CTX: several windows
    texts[31] = "x"
    texts += ["Line one\nline two\r\nline three", "1234567890 " * 3, "a" * 40, "End of the corpus."]
    return texts


def train_tokenizer(texts):
    from tokenizers import Tokenizer, Regex, AddedToken, pre_tokenizers, decoders, processors, normalizers, trainers
    from tokenizers.models import BPE
    tok = Tokenizer(BPE(fuse_unk=False))
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN_SPLIT), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(vocab_size=VOCAB_SIZE - 1, min_frequency=2, show_progress=False, max_token_length=16,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), special_tokens=[])
    tok.train_from_iterator(texts * 4, trainer=trainer)
    tok.add_special_tokens([AddedToken(EOT, normalized=False, special=True)])
    return tok


def make_model(model_dir, vocab_size, eot_id, seed, sequences):
    import torch
    from transformers import Qwen3Config, Qwen3ForCausalLM
    torch.manual_seed(seed)
    cfg = Qwen3Config(vocab_size=vocab_size, hidden_size=64, intermediate_size=176, num_hidden_layers=4,
                      num_attention_heads=4, num_key_value_heads=2, head_dim=16, max_position_embeddings=512,
                      rope_theta=10000.0, rms_norm_eps=1e-6, tie_word_embeddings=True, hidden_act="silu",
                      attention_bias=False, bos_token_id=None, eos_token_id=eot_id, torch_dtype="bfloat16")
    model = Qwen3ForCausalLM(cfg)
    with torch.no_grad():   # as make_qwen3.py: spread the norms so activations are not all tiny
        for name, p in model.named_parameters():
            if "norm" in name:
                p.copy_(1.0 + 0.1 * torch.randn_like(p))
            elif "embed" in name:   # larger embeddings: hook activations O(1), few codes near a selection boundary
                p.normal_(0, 0.25)
    train(model, sequences)
    model.to(torch.bfloat16).save_pretrained(model_dir, safe_serialization=True)


def train(model, sequences, steps=TRAIN_STEPS):
    """A few full-batch Adam steps on the corpus itself, so that the clean model beats the ablations and loss
    recovered is a number (an untrained model's CE is above the zero/mean-ablated CE)."""
    import torch
    length = max(len(s) for s in sequences)
    ids = torch.zeros((len(sequences), length), dtype=torch.long)
    labels = torch.full((len(sequences), length), -100, dtype=torch.long)
    mask = torch.zeros((len(sequences), length), dtype=torch.long)
    for i, s in enumerate(sequences):
        ids[i, :len(s)] = torch.tensor(s)
        labels[i, :len(s)] = torch.tensor(s)
        mask[i, :len(s)] = 1
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    for step in range(steps):
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    model.eval()
    print(f"trained {steps} steps, final loss {loss.item():.3f}")


# ---------------------------------------------------------------------------------------------------------------
# Reference

def pack(tokenized):
    """Windows of CTX tokens (positions restart per window), packed in order into batches of ≤ BATCH_TOKENS."""
    batches, current, size = [], [], 0
    for text, ids in enumerate(tokenized):
        for start in range(0, len(ids), CTX):
            window = ids[start:start + CTX]
            if size > 0 and size + len(window) > BATCH_TOKENS:
                batches.append(current)
                current, size = [], 0
            current.append((text, start, window))
            size += len(window)
    if current:
        batches.append(current)
    return batches


def load_sae(name):
    import torch
    sd = torch.load(os.path.join(SAE_DIR, name, "weights.pt"), map_location="cpu", weights_only=True)
    cfg = json.load(open(os.path.join(SAE_DIR, name, "config.json")))
    arrays = {key: sd[key].numpy().astype(np.float64) for key in ("W_enc", "b_enc", "W_dec", "b_dec")}
    return arrays, cfg["top_k"]


def encode(sae, k, x):
    """Seed SAE codes: BatchTopK (no b_enc, as the seed's encoder) per token top-k then ReLU; or ReLU with b_enc.
    Also the per-(token, feature) ambiguity mask: entries within MARGIN of the selection boundary."""
    pre = (x - sae["b_dec"]) @ sae["W_enc"]
    if k is None:
        pre = pre + sae["b_enc"]
        return np.maximum(pre, 0), np.abs(pre) < MARGIN
    codes = np.zeros_like(pre)
    ambiguous = np.zeros(pre.shape, dtype=bool)
    order = np.argsort(-pre, axis=1, kind="stable")
    for t in range(pre.shape[0]):
        keep = order[t, :k]
        codes[t, keep] = np.maximum(pre[t, keep], 0)
        kth, nxt = pre[t, order[t, k - 1]], pre[t, order[t, k]]
        if kth > 0 and kth - nxt < MARGIN:
            ambiguous[t, order[t, k - 1]] = ambiguous[t, order[t, k]] = True
        ambiguous[t] |= (np.abs(pre[t]) < MARGIN) & np.isin(np.arange(pre.shape[1]), keep)
    return codes, ambiguous


def run_model(model_dir, batches):
    """Per batch: hook activations X [n, d] (each window its own sequence from position 0) and a function giving
    the logits when the hook output is replaced by a given [n, d] array."""
    import torch
    from transformers import Qwen3ForCausalLM
    model = Qwen3ForCausalLM.from_pretrained(model_dir, dtype=torch.float32, attn_implementation="eager").eval()
    replacement = {}

    def hook(module, args, output):
        if "value" not in replacement:
            return output
        hidden = output[0] if isinstance(output, tuple) else output
        patched = replacement["value"].to(hidden.dtype).reshape(hidden.shape)
        return (patched,) + tuple(output[1:]) if isinstance(output, tuple) else patched

    model.model.layers[LAYER].register_forward_hook(hook)

    @torch.no_grad()
    def forward(window, patch=None):
        ids = torch.tensor([window])
        if patch is None:
            replacement.pop("value", None)
        else:
            replacement["value"] = torch.from_numpy(np.asarray(patch, np.float32))
        out = model(input_ids=ids, output_hidden_states=True)
        replacement.pop("value", None)
        return out.hidden_states[LAYER + 1][0].double().numpy(), out.logits[0].double().numpy()

    return forward


def make_expected(texts, tok, model_dir):
    from make_sae_fixtures import reconstruction_metrics, sparsity_metrics, downstream_metrics  # noqa: E402
    used = [i for i, t in enumerate(texts) if t.strip() != ""]
    tokenized = [tok.encode(texts[i]).ids for i in used]
    batches = pack(tokenized)
    forward = run_model(model_dir, batches)

    # Hook activations and clean logits, window by window.
    rows = []          # (text_idx, position, token_id, batch, is_first)
    xs = []
    for b, batch in enumerate(batches):
        for text, start, window in batch:
            xs.append(forward(window)[0])
            rows += [(used[text], start + p, window[p], b, p == 0) for p in range(len(window))]
    X = np.concatenate(xs)
    n = X.shape[0]
    is_first = np.array([r[4] for r in rows])
    batch_of = np.array([r[3] for r in rows])
    pools = [[int(np.nonzero(batch_of == b)[0][0]), int(np.nonzero(batch_of == b)[0][-1]) + 1] for b in range(len(batches))]
    mu = X.mean(0).astype(np.float32).astype(np.float64)
    expected = {"ctx": CTX, "batch_tokens": BATCH_TOKENS, "n_texts": len(texts), "n_texts_used": len(used),
                "n_tokens": n, "n_batches": len(batches), "skipped": [i for i in range(len(texts)) if i not in used],
                "token_id": [int(r[2]) for r in rows], "text_idx": [int(r[0]) for r in rows],
                "position": [int(r[1]) for r in rows], "saes": {}}

    for key, name in SAES.items():
        sae, k = load_sae(name)
        codes, ambiguous = encode(sae, k, X)
        xhat = codes @ sae["W_dec"] + sae["b_dec"]
        # Downstream: each window rerun with its hook output replaced.
        logit_batches = []
        offset = 0
        for b, batch in enumerate(batches):
            runs = {"clean": [], "sae": [], "zero": [], "mean": []}
            targets = []
            for text, start, window in batch:
                m = len(window)
                runs["clean"].append(forward(window)[1])
                runs["sae"].append(forward(window, xhat[offset:offset + m])[1])
                runs["zero"].append(forward(window, np.zeros((m, X.shape[1])))[1])
                runs["mean"].append(forward(window, np.tile(mu, (m, 1)))[1])
                targets += window[1:] + [-1]
                offset += m
            logit_batches.append({name_: np.concatenate(v) for name_, v in runs.items()} | {"targets": np.array(targets)})
        everything = np.ones(n, dtype=bool)
        downstream = {}
        for variant, mask in (("all_tokens", everything), ("without_first_token", ~is_first)):
            for lb, (a, b) in zip(logit_batches, pools):
                lb["keep"] = mask[a:b]
            metrics = downstream_metrics(logit_batches, lambda lb: lb["keep"])
            for ablated, key_ in (("ce_zero_ablated", "loss_recovered_zero"), ("ce_mean_ablated", "loss_recovered_mean")):
                if metrics[ablated] <= metrics["ce_baseline"]:
                    metrics[key_] = None
            if metrics["seed_zero_ablation_loss"] <= metrics["seed_baseline_loss"]:
                metrics["seed_loss_recovered"] = None
            downstream[variant] = metrics

        sparsity = {v: sparsity_metrics(codes, mask) for v, mask in (("all_tokens", everything), ("without_first_token", ~is_first))}
        reconstruction = {v: reconstruction_metrics(X, xhat, pools, mask)
                          for v, mask in (("all_tokens", everything), ("without_first_token", ~is_first))}
        for r in reconstruction.values():
            r.pop("mean_activation")

        active = codes > 0
        counts = active.sum(0)
        sums = codes.sum(0)
        mean_act = np.where(counts > 0, sums / np.maximum(counts, 1), 0.0)
        # A few features in detail: the most frequent, some rare ones, and a spread between.
        fired = np.nonzero(counts > 0)[0]
        by_count = fired[np.argsort(-counts[fired], kind="stable")]
        chosen = sorted(set(by_count[:4].tolist() + by_count[-4:].tolist()
                            + by_count[np.linspace(0, len(by_count) - 1, 8).astype(int)].tolist()))
        top = {}
        for f in chosen:
            nz = np.nonzero(active[:, f])[0]
            order = nz[np.lexsort((nz, -codes[nz, f]))][:TOP_EXAMPLES]
            top[str(f)] = [{"row": int(r), "token_id": int(rows[r][2]), "text_idx": int(rows[r][0]),
                            "position": int(rows[r][1]), "activation": float(codes[r, f])} for r in order]
        w = sae["W_dec"]
        unit = w / np.maximum(np.linalg.norm(w, axis=1, keepdims=True), 1e-12)
        similarity = unit @ unit.T
        a = active.astype(np.float64)
        joint = a.T @ a
        p = counts / n
        sigma = np.sqrt(np.maximum(p * (1 - p), 1e-12))
        phi = (joint / n - np.outer(p, p)) / (np.outer(sigma, sigma) + 1e-8)
        np.fill_diagonal(phi, 1.0)

        expected["saes"][key] = {
            "name": name, "ambiguous": [int(c) for c in ambiguous.sum(0)],
            "sparsity": sparsity, "reconstruction": reconstruction, "downstream": downstream,
            "activation_count": [int(c) for c in counts], "mean_activation": [float(v) for v in mean_act],
            "max_activation": [float(v) for v in codes.max(0)], "top_examples": top,
            "detail_features": [int(f) for f in chosen],
            "similarity_rows": [[float(v) for v in similarity[f]] for f in chosen],
            "phi_rows": [[float(v) for v in phi[f]] for f in chosen],
            "csr_sum": float(codes.sum()), "csr_nnz": int(active.sum()),
        }
        print(f"{name}: ambiguous firings {int(ambiguous.sum())}, l0 {sparsity['all_tokens']['l0_mean']:.3f}, "
              f"EV {reconstruction['all_tokens']['explained_variance']:.4f}, "
              f"CE {downstream['all_tokens']['ce_baseline']:.4f} -> {downstream['all_tokens']['ce_spliced']:.4f}")
    return expected


def compact(value):
    if isinstance(value, float):
        return float(f"{value:.9g}")
    if isinstance(value, dict):
        return {k: compact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [compact(v) for v in value]
    if isinstance(value, (np.floating,)):
        return compact(float(value))
    if isinstance(value, (np.integer,)):
        return int(value)
    return value


def write_fixtures(seed):
    import torch
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    model_dir = os.path.join(OUT, "model")
    os.makedirs(model_dir, exist_ok=True)
    texts = corpus()
    with open(os.path.join(OUT, "corpus.json"), "w", encoding="utf-8") as fh:
        json.dump(texts, fh, indent=1, ensure_ascii=False)
    tok = train_tokenizer(texts)
    tok.save(os.path.join(model_dir, "tokenizer.json"))
    with open(os.path.join(model_dir, "tokenizer_config.json"), "w") as fh:
        json.dump({"tokenizer_class": "Qwen2Tokenizer", "eos_token": EOT, "pad_token": EOT, "bos_token": None,
                   "add_bos_token": False, "model_max_length": 512}, fh, indent=1)
    sequences = [tok.encode(t).ids[:2 * CTX] for t in texts if t.strip()]
    make_model(model_dir, tok.get_vocab_size(), tok.token_to_id(EOT), seed, sequences)
    expected = make_expected(texts, tok, model_dir)
    expected["model_seed"] = seed
    with open(os.path.join(OUT, "expected.json"), "w") as fh:
        json.dump(compact(expected), fh, separators=(",", ":"))
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(OUT) for f in fs)
    print(f"wrote {OUT}: {expected['n_tokens']} tokens in {expected['n_batches']} batches, {total / 1e6:.2f} MB")


# ---------------------------------------------------------------------------------------------------------------
# --check: an analysis directory written by `sae-report analyze`, read with numpy/scipy only

def check(directory):
    import glob
    import scipy.sparse
    problems = []

    def expect(condition, what):
        print(("ok   " if condition else "FAIL ") + what)
        if not condition:
            problems.append(what)

    summary_path = sorted(glob.glob(os.path.join(directory, "SUMMARY_*.json")))[-1]
    summary = json.load(open(summary_path, encoding="utf-8"))
    files = {k: os.path.join(directory, v) for k, v in summary["files"].items()}
    for key, path in files.items():
        expect(os.path.exists(path), f"files.{key} exists ({os.path.relpath(path, directory)})")
    csr = scipy.sparse.load_npz(files["activation_db"])
    expect(csr.format == "csr" and csr.dtype == np.float32, f"activation_db is float32 CSR ({csr.format}, {csr.dtype})")
    csr.sort_indices()
    expect(csr.has_canonical_format, "CSR indices sorted, no duplicates")
    expect(bool(np.all(csr.data > 0)) and bool(np.all(np.isfinite(csr.data))), "CSR values positive and finite")
    tokens = np.load(files["token_table"])
    for name in ("token_id", "text_idx", "position"):
        expect(tokens[name].dtype == np.int32 and tokens[name].shape == (csr.shape[0],),
               f"tokens.{name} int32 [{csr.shape[0]}] ({tokens[name].dtype}, {tokens[name].shape})")
    n_tokens, d_sae = csr.shape
    expect(summary["n_tokens_processed"] == n_tokens, f"SUMMARY n_tokens_processed = CSR rows ({n_tokens})")
    expect(summary["n_features"] == d_sae, f"SUMMARY n_features = CSR columns ({d_sae})")
    results = json.load(open(files["results"], encoding="utf-8"))
    expect(results["run"]["n_tokens"] == n_tokens, "results run.n_tokens = CSR rows")
    table = json.load(open(files["feature_table"], encoding="utf-8"))
    nnz = np.diff(csr.tocsc().indptr)
    expect(table["n_features"] == d_sae and len(table["activation_count"]) == d_sae, "feature_table has d_sae columns")
    expect(np.array_equal(nnz, np.array(table["activation_count"])), "CSR nnz per feature = feature_table activation_count")
    dense_max = np.asarray(csr.max(axis=0).todense()).ravel()
    expect(np.allclose(dense_max, np.array(table["max_activation"]), rtol=1e-6, atol=0), "CSR column max = max_activation")
    sums = np.asarray(csr.sum(axis=0)).ravel()
    mean = np.where(nnz > 0, sums / np.maximum(nnz, 1), 0)
    expect(np.allclose(mean, np.array(table["mean_activation"]), rtol=1e-4, atol=1e-7), "CSR column mean = mean_activation")
    frequency = nnz / n_tokens
    expect(np.allclose(frequency, np.array(table["frequency"]), rtol=1e-9), "nnz / n_tokens = frequency")
    l0 = np.diff(csr.indptr)
    expect(abs(l0.mean() - results["metrics"]["sparsity"]["metrics"]["all_tokens"]["l0_mean"]) < 1e-9 * max(1, l0.mean()),
           f"CSR row nnz mean = l0_mean (all tokens) ({l0.mean()})")
    summaries = [json.loads(line) for line in open(files["feature_summaries"], encoding="utf-8")]
    expect([s["feature"] for s in summaries] == [int(i) for i in np.nonzero(nnz)[0]],
           "feature_summaries: one record per feature that fired, ascending")
    bad_examples = 0
    for s in summaries:
        for ex in s["top_examples"]:
            row = ex["global_idx"]
            ok = (csr[row, s["feature"]] == np.float32(ex["activation"]) and tokens["text_idx"][row] == ex["text_idx"]
                  and tokens["position"][row] == ex["position"] and tokens["token_id"][row] == ex["token_id"])
            bad_examples += not ok
    expect(bad_examples == 0, f"every top example matches its CSR row and token table ({bad_examples} mismatches)")
    for key in ("similarity_matrix", "cooccurrence_matrix"):
        if key not in files:
            print(f"skip {key}: not written")
            continue
        m = np.load(files[key])
        expect(m.dtype == np.float32 and m.shape == (d_sae, d_sae), f"{key} float32 [{d_sae}, {d_sae}]")
        expect(np.allclose(m, m.T, atol=1e-6), f"{key} symmetric (max |M - Mᵀ| {np.abs(m - m.T).max():.2e})")
        expect(bool(np.all(np.isfinite(m))), f"{key} finite")
        if key == "similarity_matrix":
            expect(np.allclose(np.diag(m), 1, atol=1e-5), f"{key} unit diagonal")
        else:
            fired = nnz > 0
            expect(np.allclose(np.diag(m)[fired], 1, atol=1e-5), f"{key} unit diagonal (features that fired)")
    neighbors = np.load(files["neighbors"])
    for name in ("decoder_indices", "cooccurrence_indices"):
        expect(neighbors[name].dtype == np.int32 and neighbors[name].shape[0] == d_sae, f"neighbors.{name} int32 [{d_sae}, k]")
    for name in ("decoder_values", "cooccurrence_values"):
        expect(neighbors[name].dtype == np.float32, f"neighbors.{name} float32")
    if "similarity_matrix" in files:
        m = np.load(files["similarity_matrix"])
        idx, val = neighbors["decoder_indices"], neighbors["decoder_values"]
        valid = idx >= 0
        rows_ = np.nonzero(valid)[0]
        expect(np.allclose(m[rows_, idx[valid]], val[valid], atol=1e-6), "decoder neighbours = similarity matrix entries")
        expect(bool(np.all(idx != np.arange(d_sae)[:, None])), "decoder neighbours exclude self")
    print(f"{directory}: {n_tokens} tokens × {d_sae} features, nnz {csr.nnz}; "
          + ("all checks passed" if not problems else f"{len(problems)} FAILED"))
    return not problems


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", metavar="DIR", help="check an analysis directory with numpy/scipy instead")
    ap.add_argument("--seed", type=int, default=0, help="model initialisation seed")
    args = ap.parse_args()
    if args.check:
        sys.exit(0 if check(args.check) else 1)
    write_fixtures(args.seed)


if __name__ == "__main__":
    main()
