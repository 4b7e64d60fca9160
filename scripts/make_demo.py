"""Build the embedded demo that `sae-report demo` analyses: `demo/corpus.json`, `demo/model/` (a tiny Qwen3 trained
from scratch) and `demo/sae/` (a BatchTopK SAE on its `blocks.2.hook_resid_post`, in the seed's export format).

Usage: python3 scripts/make_demo.py [--out demo] [--model-steps 1000] [--sae-epochs 12]

Deterministic: seeded, one CPU thread; a rerun with the same torch/tokenizers versions rewrites identical files.
Takes a few minutes on one core. Needs torch, transformers, tokenizers (not needed by the Swift tool or its tests).
"""
import argparse, json, math, os, random, sys, time

os.environ.setdefault("RAYON_NUM_THREADS", "1")       # tokenizers' trainer: one thread, deterministic merges
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
import torch
import torch.nn as nn
from tokenizers import Tokenizer, Regex, AddedToken, pre_tokenizers, decoders, processors, normalizers, trainers
from tokenizers.models import BPE
from transformers import Qwen3Config, Qwen3ForCausalLM

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from demo_corpus import make_corpus  # noqa: E402

QWEN_SPLIT = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
EOT = "<|endoftext|>"
VOCAB_SIZE = 2048
MAX_LEN = 128            # tokens per paragraph seen in training (paragraphs are shorter than this)
LAYER = 2                # SAE hook: blocks.2.hook_resid_post == HF hidden_states[LAYER + 1]
D_SAE, TOP_K = 1024, 16


def log(*a):
    print(*a, flush=True)


# ---------------------------------------------------------------------------------------------------------------
# 1. Tokenizer: byte-level BPE with Qwen2/Qwen3's normalizer, pre-tokenizer and decoder.

def train_tokenizer(texts):
    tok = Tokenizer(BPE(fuse_unk=False))
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN_SPLIT), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(vocab_size=VOCAB_SIZE - 1, min_frequency=2, show_progress=False, max_token_length=16,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), special_tokens=[])
    tok.train_from_iterator(texts, trainer=trainer)
    # Like Qwen's, the special token comes after the BPE vocabulary.
    tok.add_special_tokens([AddedToken(EOT, normalized=False, special=True)])
    return tok


# ---------------------------------------------------------------------------------------------------------------
# 2. Model: a tiny Qwen3 trained from scratch on the corpus, one paragraph per sequence starting at position 0
#    (as the analysis runs it: no BOS), followed by <|endoftext|>.

def model_config(vocab_size, eot_id):
    return Qwen3Config(vocab_size=vocab_size, hidden_size=128, intermediate_size=384, num_hidden_layers=4,
                       num_attention_heads=4, num_key_value_heads=2, head_dim=32, max_position_embeddings=512,
                       rope_theta=10000.0, rms_norm_eps=1e-6, tie_word_embeddings=True, hidden_act="silu",
                       attention_bias=False, bos_token_id=eot_id, eos_token_id=eot_id, pad_token_id=eot_id)


def pad_batch(seqs, pad_id):
    n = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), n), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), n), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, :len(s)] = torch.tensor(s)
        mask[i, :len(s)] = 1
    return ids, mask


def train_model(seqs, cfg, steps, batch=32, lr=3e-3, warmup=100):
    torch.manual_seed(1)
    model = Qwen3ForCausalLM(cfg)
    model.config._attn_implementation = "eager"
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    other = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": other, "weight_decay": 0.0}],
                            lr=lr, betas=(0.9, 0.98))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(1.0, s / steps))))
    r = random.Random(2)
    order, pos, losses, t0 = [], 0, [], time.time()
    model.train()
    for step in range(steps):
        if pos + batch > len(order):
            order = list(range(len(seqs)))
            r.shuffle(order)
            pos = 0
        ids, mask = pad_batch([seqs[i] for i in order[pos:pos + batch]], cfg.pad_token_id)
        pos += batch
        labels = ids.masked_fill(mask == 0, -100)
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        losses.append(loss.item())
        if (step + 1) % 100 == 0:
            log(f"  model step {step + 1}/{steps}  loss {sum(losses[-100:]) / 100:.3f}  ({time.time() - t0:.0f} s)")
    model.eval()
    return model, losses


@torch.no_grad()
def corpus_loss(model, seqs, pad_id, batch=64):
    """Mean next-token CE per predicted token over the whole corpus."""
    total, count = 0.0, 0
    for i in range(0, len(seqs), batch):
        ids, mask = pad_batch(seqs[i:i + batch], pad_id)
        logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1]
        tgt = ids[:, 1:].masked_fill(mask[:, 1:] == 0, -100)
        total += torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1),
                                                   ignore_index=-100, reduction="sum").item()
        count += (tgt != -100).sum().item()
    return total / count


def unigram_entropy(seqs):
    """Entropy (nats) of the corpus' unigram token distribution over the predicted positions: the loss of a model
    that ignores context."""
    counts = {}
    for s in seqs:
        for t in s[1:]:
            counts[t] = counts.get(t, 0) + 1
    n = sum(counts.values())
    return -sum(c / n * math.log(c / n) for c in counts.values())


@torch.no_grad()
def collect_activations(model, texts_ids, batch=64):
    """Residual stream after decoder layer LAYER for every token of every text (no padding, no EOT), plus the
    (text index, position) of each row."""
    rows, where = [], []
    for i in range(0, len(texts_ids), batch):
        chunk = texts_ids[i:i + batch]
        ids, mask = pad_batch(chunk, 0)
        hs = model(input_ids=ids, attention_mask=mask, output_hidden_states=True).hidden_states[LAYER + 1]
        for j, s in enumerate(chunk):
            rows.append(hs[j, :len(s)])
            where += [(i + j, p) for p in range(len(s))]
    return torch.cat(rows).float(), where


# ---------------------------------------------------------------------------------------------------------------
# 3. SAE: the seed's BatchTopKSAE (sae_core/sae_base.py) and its training recipe: Adam, MSE reconstruction, decoder
#    rows renormalised after every step with the parallel gradient component removed, aux loss on dead features.

class BatchTopKSAE(nn.Module):
    def __init__(self, d_in, d_sae, k, k_aux, n_batches_to_dead=200, aux_penalty=1 / 32):
        super().__init__()
        self.k, self.k_aux, self.n_batches_to_dead, self.aux_penalty = k, k_aux, n_batches_to_dead, aux_penalty
        w = torch.randn(d_sae, d_in)
        w /= w.norm(dim=1, keepdim=True)
        self.W_enc = nn.Parameter(w.t().clone())
        self.b_enc = nn.Parameter(torch.zeros(d_sae))   # present in the seed's state dict, unused by BatchTopK
        self.W_dec = nn.Parameter(w.clone())
        self.b_dec = nn.Parameter(torch.zeros(d_in))
        self.register_buffer("ever_fired", torch.zeros(d_sae, dtype=torch.bool))
        self.register_buffer("num_batches_not_active", torch.zeros(d_sae))

    def dense(self, x):
        return torch.relu((x - self.b_dec) @ self.W_enc)

    def batch_topk(self, acts, k):
        flat = acts.flatten()
        n = min(acts.shape[0] * k, flat.numel())
        vals, idx = flat.topk(n)
        return torch.zeros_like(flat).scatter(0, idx, vals).view_as(acts)

    def forward(self, x):
        acts = self.dense(x)
        f = self.batch_topk(acts, self.k)
        return f @ self.W_dec + self.b_dec, f, acts

    def aux_loss(self, x, x_hat, acts):
        dead = self.num_batches_not_active >= self.n_batches_to_dead
        if not dead.any():
            return x.new_zeros(())
        f_aux = self.batch_topk(acts[:, dead], self.k_aux)
        x_aux = f_aux @ self.W_dec[dead] + self.b_dec
        return self.aux_penalty * ((x_aux - (x - x_hat).detach()) ** 2).mean()

    @torch.no_grad()
    def project_decoder_grad(self):
        w, g = self.W_dec, self.W_dec.grad
        g -= (g * w).sum(1, keepdim=True) * w

    @torch.no_grad()
    def renorm_decoder(self):
        self.W_dec /= self.W_dec.norm(dim=1, keepdim=True) + 1e-8


def sae_step_metrics(sae, x, train, opt=None):
    x_hat, f, acts = sae(x)
    recon = ((x - x_hat) ** 2).mean()
    l1 = f.abs().mean()
    aux = sae.aux_loss(x, x_hat, acts) if train else x.new_zeros(())
    loss = recon + aux              # l1_coefficient = 0 (BatchTopK), recon weight 1
    if train:
        opt.zero_grad(set_to_none=True)
        loss.backward()
        sae.project_decoder_grad()
        opt.step()
        sae.renorm_decoder()
        with torch.no_grad():
            fired = (f > 0).any(0)
            sae.ever_fired |= fired
            sae.num_batches_not_active += 1
            sae.num_batches_not_active[fired] = 0
    return {"loss": loss.item(), "recon_loss": recon.item(), "l1_loss": l1.item(),
            "sparsity": (f > 0).float().sum(1).mean().item(), "recon_contribution": recon.item(),
            "l1_contribution": 0.0, "aux_loss": aux.item()}


def train_sae(acts, epochs, batch=256, lr=1e-3):
    torch.manual_seed(3)
    n = acts.shape[0]
    perm = torch.randperm(n)
    n_val = n // 10
    val, tr = acts[perm[:n_val]], acts[perm[n_val:]]
    sae = BatchTopKSAE(acts.shape[1], D_SAE, TOP_K, TOP_K // 2)
    with torch.no_grad():
        sae.b_dec.copy_(tr.median(0).values)    # start the decoder bias at the data's centre
    opt = torch.optim.Adam(sae.parameters(), lr=lr)
    history, best, best_val = {}, None, float("inf")
    for ep in range(epochs):
        sums, nb = {}, 0
        for i in torch.randperm(tr.shape[0]).split(batch):
            m = sae_step_metrics(sae, tr[i], True, opt)
            for kk, v in m.items():
                sums[kk] = sums.get(kk, 0.0) + v
            nb += 1
        with torch.no_grad():
            vs, nv = {}, 0
            for i in range(0, val.shape[0], batch):
                m = sae_step_metrics(sae, val[i:i + batch], False)
                for kk, v in m.items():
                    vs[kk] = vs.get(kk, 0.0) + v
                nv += 1
        for kk in sums:
            history.setdefault(kk, []).append(sums[kk] / nb)
        dead = int((sae.num_batches_not_active >= sae.n_batches_to_dead).sum())
        history.setdefault("dead_features", []).append(dead)
        history.setdefault("dead_feature_percentage", []).append(100.0 * dead / D_SAE)
        for kk in vs:
            history.setdefault("val_" + kk, []).append(vs[kk] / nv)
        log(f"  sae epoch {ep + 1}/{epochs}  recon {history['recon_loss'][-1]:.5f}  val recon "
            f"{history['val_recon_loss'][-1]:.5f}  L0 {history['sparsity'][-1]:.1f}  dead {dead}")
        if history["val_loss"][-1] < best_val:     # the seed exports the best-validation checkpoint
            best_val = history["val_loss"][-1]
            best = {k: v.clone() for k, v in sae.state_dict().items()}
    sae.load_state_dict(best)
    return sae, history


# ---------------------------------------------------------------------------------------------------------------
# 4. Checks printed at the end (and written to demo/README.md by hand from them).

@torch.no_grad()
def sae_report(sae, acts, where, texts_ids, tok, texts_per_batch=16):
    """Analysis-style pass: BatchTopK over all tokens of 16 texts at a time (the seed's analysis batching)."""
    codes, start, t = [], 0, 0
    xs = []
    while t < len(texts_ids):
        n_tok = sum(len(s) for s in texts_ids[t:t + texts_per_batch])
        x = acts[start:start + n_tok]
        x_hat, f, _ = sae(x)
        codes.append(f)
        xs.append(x_hat)
        start += n_tok
        t += texts_per_batch
    f = torch.cat(codes)
    x_hat = torch.cat(xs)
    fve = 1 - ((acts - x_hat) ** 2).sum() / ((acts - acts.mean(0)) ** 2).sum()
    l0 = (f > 0).float().sum(1).mean()
    fires = (f > 0).sum(0)
    log(f"SAE on all {acts.shape[0]} tokens (batches of {texts_per_batch} texts): FVE {fve:.4f}, L0 {l0:.2f}, "
        f"never-firing features {int((fires == 0).sum())}/{D_SAE} ({100 * (fires == 0).float().mean():.1f} %), "
        f"training dead (ever_fired false) {int((~sae.ever_fired).sum())}")
    flat_ids = [i for s in texts_ids for i in s]
    r = random.Random(4)
    alive = [i for i in range(D_SAE) if fires[i] > 0]
    for feat in sorted(r.sample(alive, 12)):
        col = f[:, feat]
        top = col.topk(8).indices.tolist()
        ex = []
        for row in top:
            ti, p = where[row]
            ctx = tok.decode(texts_ids[ti][max(0, p - 5):p]) + "[" + tok.decode([flat_ids[row]]) + "]"
            ex.append(ctx.replace("\n", "⏎")[-28:])
        log(f"  feature {feat:4d} fires {int(fires[feat]):5d}x: " + " | ".join(ex))
    return fve.item(), l0.item(), int((fires == 0).sum())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "demo"))
    ap.add_argument("--model-steps", type=int, default=1000)
    ap.add_argument("--sae-epochs", type=int, default=12)
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    out = os.path.abspath(args.out)
    model_dir, sae_dir = os.path.join(out, "model"), os.path.join(out, "sae")
    os.makedirs(model_dir, exist_ok=True)
    os.makedirs(sae_dir, exist_ok=True)
    t0 = time.time()

    texts = make_corpus(seed=0)
    with open(os.path.join(out, "corpus.json"), "w", encoding="utf-8") as fh:
        json.dump(texts, fh, indent=2, ensure_ascii=False)
    log(f"corpus: {len(texts)} paragraphs, {sum(len(t) for t in texts)} characters")

    tok = train_tokenizer(texts)
    tok.save(os.path.join(model_dir, "tokenizer.json"))
    with open(os.path.join(model_dir, "tokenizer_config.json"), "w") as fh:
        json.dump({"tokenizer_class": "Qwen2Tokenizer", "eos_token": EOT, "pad_token": EOT, "bos_token": None,
                   "add_bos_token": False, "model_max_length": 512}, fh, indent=1)
    eot = tok.token_to_id(EOT)
    ids = [tok.encode(t).ids[:MAX_LEN - 1] for t in texts]
    seqs = [s + [eot] for s in ids]
    n_tok = sum(len(s) for s in ids)
    log(f"tokenizer: vocab {tok.get_vocab_size()}, {EOT} = {eot}, {n_tok} tokens "
        f"({sum(len(t.encode()) for t in texts) / n_tok:.2f} bytes/token), longest text {max(len(s) for s in ids)}")

    cfg = model_config(tok.get_vocab_size(), eot)
    model, losses = train_model(seqs, cfg, args.model_steps)
    model.to(torch.bfloat16).save_pretrained(model_dir, safe_serialization=True)
    # Everything downstream uses the model as shipped (BF16 weights, computed in F32).
    model = Qwen3ForCausalLM.from_pretrained(model_dir, dtype=torch.float32, attn_implementation="eager").eval()
    loss = corpus_loss(model, seqs, eot)
    log(f"model: final train loss {sum(losses[-100:]) / 100:.3f} (last 100 steps), corpus CE of the saved BF16 "
        f"model {loss:.3f} nats/token vs unigram entropy {unigram_entropy(seqs):.3f} and ln(V) "
        f"{math.log(cfg.vocab_size):.3f}")

    acts, where = collect_activations(model, ids)
    norms = acts.norm(dim=1)
    pos0 = torch.tensor([p == 0 for _, p in where])
    log(f"activations: {tuple(acts.shape)}, mean norm {norms.mean():.2f} (position 0: {norms[pos0].mean():.2f})")
    sae, history = train_sae(acts, args.sae_epochs)
    torch.save(sae.state_dict(), os.path.join(sae_dir, "weights.pt"))
    with open(os.path.join(sae_dir, "config.json"), "w") as fh:
        json.dump({"d_in": cfg.hidden_size, "d_sae": D_SAE, "l1_coefficient": 0.0, "dtype": "float32", "device": "cpu",
                   "hook_layer": str(LAYER), "hook_name": "hook_resid_post",
                   "hook_spec": f"blocks.{LAYER}.hook_resid_post", "top_k": TOP_K, "top_k_aux": TOP_K // 2,
                   "n_batches_to_dead": sae.n_batches_to_dead, "aux_penalty": sae.aux_penalty}, fh)
    with open(os.path.join(sae_dir, "history.json"), "w") as fh:
        json.dump(history, fh, indent=2)
    sae_report(sae, acts, where, ids, tok)
    log(f"done in {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
