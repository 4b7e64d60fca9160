"""Independent check of the shipped demo (`demo/`), written without reusing make_demo.py's code.

Usage: python3 scripts/check/check_demo.py [demo_dir]

Loads the model with transformers and the tokenizer with tokenizers, prints the hidden-state shapes, confirms that
HF `hidden_states[3]` is the output of decoder layer 2 (= `blocks.2.hook_resid_post`), validates the SAE directory
against the seed's format, and reports the SAE's reconstruction quality on the corpus (BatchTopK over the tokens
of 16 texts at a time, as the seed's analysis batches them) plus the model's loss with the SAE spliced in.
"""
import json, math, os, sys
import torch
from tokenizers import Tokenizer
from transformers import AutoModelForCausalLM

torch.set_num_threads(1)
root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "demo")
texts = json.load(open(os.path.join(root, "corpus.json"), encoding="utf-8"))
tok = Tokenizer.from_file(os.path.join(root, "model", "tokenizer.json"))
model = AutoModelForCausalLM.from_pretrained(os.path.join(root, "model"), dtype=torch.float32).eval()
cfg = json.load(open(os.path.join(root, "sae", "config.json")))
sd = torch.load(os.path.join(root, "sae", "weights.pt"), map_location="cpu", weights_only=True)
hist = json.load(open(os.path.join(root, "sae", "history.json")))
layer = int(cfg["hook_layer"])

print(f"corpus: {len(texts)} texts; model: {type(model).__name__}, {sum(p.numel() for p in model.parameters())} "
      f"params, stored dtype {json.load(open(os.path.join(root, 'model', 'config.json'))).get('dtype')}")
print("sample tokens:", [tok.decode([i]) for i in tok.encode(texts[0]).ids][:12])

# 1. hidden states and the hook off-by-one
ids = torch.tensor([tok.encode(texts[0]).ids])
captured = {}
h = model.model.layers[layer].register_forward_hook(lambda m, i, o: captured.update(out=o[0] if isinstance(o, tuple) else o))
with torch.no_grad():
    out = model(input_ids=ids, output_hidden_states=True)
h.remove()
print("hidden_states:", len(out.hidden_states), "x", tuple(out.hidden_states[0].shape), "; logits", tuple(out.logits.shape))
diff = (out.hidden_states[layer + 1] - captured["out"].reshape(out.hidden_states[layer + 1].shape)).abs().max().item()
print(f"max |hidden_states[{layer + 1}] - output of layers[{layer}]| = {diff:.2e}  (must be 0)")
assert diff == 0.0

# 2. SAE directory format
expected = {"W_enc": (cfg["d_in"], cfg["d_sae"]), "b_enc": (cfg["d_sae"],), "W_dec": (cfg["d_sae"], cfg["d_in"]),
            "b_dec": (cfg["d_in"],), "ever_fired": (cfg["d_sae"],), "num_batches_not_active": (cfg["d_sae"],)}
assert list(sd.keys()) == list(expected), list(sd.keys())
for k, shape in expected.items():
    assert tuple(sd[k].shape) == shape, (k, sd[k].shape)
assert sd["ever_fired"].dtype == torch.bool and sd["W_enc"].dtype == torch.float32
assert cfg["hook_spec"] == f"blocks.{layer}.{cfg['hook_name']}" and cfg["d_in"] == model.config.hidden_size
norms = sd["W_dec"].norm(dim=1)
print(f"SAE: d_in {cfg['d_in']}, d_sae {cfg['d_sae']}, top_k {cfg['top_k']}; decoder row norms "
      f"{norms.min():.5f}..{norms.max():.5f}; b_enc all zero: {bool((sd['b_enc'] == 0).all())}; "
      f"history keys {sorted(hist)} x {len(hist['loss'])} epochs")


def encode(x):
    """The seed's BatchTopKSAE forward: global top-(N*k) of ReLU((x - b_dec) W_enc) over the N rows given."""
    a = torch.relu((x - sd["b_dec"]) @ sd["W_enc"]).flatten()
    v, i = a.topk(min(x.shape[0] * cfg["top_k"], a.numel()))
    return torch.zeros_like(a).scatter(0, i, v).view(x.shape[0], -1)


# 3. reconstruction quality over the whole corpus, and CE with the SAE spliced in at the hook
sse = sst = 0.0
s1 = torch.zeros(cfg["d_in"], dtype=torch.float64)
s2 = torch.zeros(cfg["d_in"], dtype=torch.float64)
n_rows, l0, cos = 0, 0.0, 0.0
fires = torch.zeros(cfg["d_sae"], dtype=torch.long)
ce = {"clean": [0.0, 0], "sae": [0.0, 0], "mean-ablated": [0.0, 0]}
mean_act = None
batches = [texts[i:i + 16] for i in range(0, len(texts), 16)]
for pass_ in ("mean", "eval"):
    for batch in batches:
        seqs = [tok.encode(t).ids for t in batch]
        n = max(map(len, seqs))
        ids = torch.tensor([s + [0] * (n - len(s)) for s in seqs])
        mask = torch.tensor([[1] * len(s) + [0] * (n - len(s)) for s in seqs])
        with torch.no_grad():
            o = model(input_ids=ids, attention_mask=mask, output_hidden_states=True)
        x = o.hidden_states[layer + 1][mask.bool()]
        if pass_ == "mean":
            s1 += x.double().sum(0)
            n_rows += x.shape[0]
            continue
        f = encode(x)
        xh = f @ sd["W_dec"] + sd["b_dec"]
        sse += ((x - xh) ** 2).sum().item()
        s2 += ((x.double() - mean_act) ** 2).sum(0)
        l0 += (f > 0).sum().item()
        cos += torch.nn.functional.cosine_similarity(x, xh, dim=1).sum().item()
        fires += (f > 0).sum(0)
        for name, repl in (("clean", None), ("sae", xh), ("mean-ablated", mean_act.float().expand_as(x))):
            def hook(m, i, out, repl=repl):
                if repl is None:
                    return out
                hs = (out[0] if isinstance(out, tuple) else out).clone()
                hs[mask.bool()] = repl
                return (hs,) + tuple(out[1:]) if isinstance(out, tuple) else hs
            hh = model.model.layers[layer].register_forward_hook(hook)
            with torch.no_grad():
                logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1]
            hh.remove()
            tgt = ids[:, 1:].masked_fill(mask[:, 1:] == 0, -100)
            ce[name][0] += torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1),
                                                             ignore_index=-100, reduction="sum").item()
            ce[name][1] += (tgt != -100).sum().item()
    if pass_ == "mean":
        mean_act = s1 / n_rows
sst = s2.sum().item()
print(f"SAE on {n_rows} tokens: FVE {1 - sse / sst:.4f}, mean cosine {cos / n_rows:.4f}, L0 {l0 / n_rows:.2f}, "
      f"never-firing {int((fires == 0).sum())}/{cfg['d_sae']}")
c = {k: v[0] / v[1] for k, v in ce.items()}
print(f"CE nats/token: clean {c['clean']:.4f}, SAE spliced {c['sae']:.4f}, mean-ablated {c['mean-ablated']:.4f}; "
      f"CE loss recovered {(c['mean-ablated'] - c['sae']) / (c['mean-ablated'] - c['clean']):.4f}")
