"""PyTorch baseline for the activation-pass benchmarks (bench-analyze.sh, bench-bf16.sh, bench-forward-families.sh
corpus): transformers' CPU forward to blocks.L.hook_resid_post (decoder blocks 0..L only) over the same corpus,
tokenized by the same tokenizer.json (its post-processor included, as `sae-report` encodes). Texts longer than `ctx`
tokens are cut into windows of `ctx` tokens, each its own sequence, as `sae-report --ctx` does. Sequences are sorted
by length and batched (right padding, attention mask), the fastest arrangement we found for torch; the attention
implementation is transformers' default for the family (sdpa, or eager where the family needs it: Gemma 2's
soft-capping). Prints tokens/s over real tokens, best of 2 passes (model loading not counted).
Works for any family whose decoder blocks are `base_model.layers` (Llama, Qwen, Gemma, ...) or `base_model.h` (GPT-2).
dtype bfloat16 loads the model in bf16 (PyTorch's fastest CPU bf16 setting here: oneDNN's AVX-512 BF16 kernels).
Usage: python3 bench_torch_hook.py MODEL_DIR CORPUS LAYER [batch=8] [dtype=float32] [ctx=1024]"""
import json, sys, time
import torch
from tokenizers import Tokenizer
from transformers import AutoModelForCausalLM

model_dir, corpus, layer = sys.argv[1], sys.argv[2], int(sys.argv[3])
batch = int(sys.argv[4]) if len(sys.argv) > 4 else 8
dtype = getattr(torch, sys.argv[5] if len(sys.argv) > 5 else "float32")
ctx = int(sys.argv[6]) if len(sys.argv) > 6 else 1024
tok = Tokenizer.from_file(f"{model_dir}/tokenizer.json")
windows = [e.ids[i:i + ctx] for e in tok.encode_batch(json.load(open(corpus))) for i in range(0, len(e.ids), ctx)]
ids = sorted(windows, key=len)
m = AutoModelForCausalLM.from_pretrained(model_dir, dtype=dtype).eval()
inner = m.base_model
blocks = "h" if hasattr(inner, "h") else "layers"
setattr(inner, blocks, getattr(inner, blocks)[: layer + 1])
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
padded = sum(x.numel() for x, _ in batches)
with torch.inference_mode():
    inner(batches[0][0][:1, :16])
    best, best_cpu = 1e9, 1e9
    for _ in range(2):
        t, cpu = time.perf_counter(), time.process_time()
        for x, mask in batches:
            inner(input_ids=x, attention_mask=mask)
        best, best_cpu = min(best, time.perf_counter() - t), min(best_cpu, time.process_time() - cpu)
print(f"torch {torch.__version__} ({torch.backends.cpu.get_cpu_capability()}, {m.config._attn_implementation} attention) "
      f"threads={torch.get_num_threads()} {dtype} batch={batch}: {len(ids)} sequences, {padded} padded positions, "
      f"user+sys {best_cpu:.1f} s per pass (best)")
print(f"torch {dtype} batch={batch} forward to blocks.{layer}.hook_resid_post: "
      f"{tokens} tokens in {best:.2f} s = {tokens / best:.0f} tokens/s")
