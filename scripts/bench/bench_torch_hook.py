"""PyTorch baseline for scripts/bench/bench-analyze.sh: transformers' fp32 CPU forward to blocks.L.hook_resid_post (decoder
layers 0..L only) over the same corpus, tokenized by the same tokenizer.json. Texts are sorted by length and batched
(right padding, attention mask), the fastest arrangement we found for torch; prints tokens/s over real tokens.
dtype bfloat16 loads the model in bf16 (PyTorch's fastest CPU bf16 setting here: oneDNN's AVX-512 BF16 kernels).
Usage: python3 bench_torch_hook.py MODEL_DIR CORPUS LAYER [batch=8] [dtype=float32]"""
import json, sys, time
import torch
from tokenizers import Tokenizer
from transformers import AutoModelForCausalLM

model_dir, corpus, layer = sys.argv[1], sys.argv[2], int(sys.argv[3])
batch = int(sys.argv[4]) if len(sys.argv) > 4 else 8
dtype = getattr(torch, sys.argv[5] if len(sys.argv) > 5 else "float32")
tok = Tokenizer.from_file(f"{model_dir}/tokenizer.json")
ids = [e.ids[:1024] for e in tok.encode_batch(json.load(open(corpus)))]
ids = sorted((x for x in ids if x), key=len)
m = AutoModelForCausalLM.from_pretrained(model_dir, dtype=dtype).eval()
m.model.layers = m.model.layers[: layer + 1]
batches = []
for i in range(0, len(ids), batch):
    group = ids[i:i + batch]
    width = max(map(len, group))
    x = torch.zeros(len(group), width, dtype=torch.long)
    mask = torch.zeros(len(group), width, dtype=torch.long)
    for r, seq in enumerate(group):
        x[r, :len(seq)] = torch.tensor(seq)
        mask[r, :len(seq)] = 1
    batches.append((x, mask))
tokens = sum(map(len, ids))
with torch.inference_mode():
    m.model(batches[0][0][:1, :16])
    best = 1e9
    for _ in range(2):
        t = time.perf_counter()
        for x, mask in batches:
            m.model(input_ids=x, attention_mask=mask)
        best = min(best, time.perf_counter() - t)
print(f"torch {torch.__version__} threads={torch.get_num_threads()} {dtype} batch={batch} forward to blocks.{layer}.hook_resid_post: "
      f"{tokens} tokens in {best:.2f} s = {tokens / best:.0f} tokens/s")
