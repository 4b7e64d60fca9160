"""Inputs for scripts/bench/bench-analyze.sh: a random seed-format BatchTopK SAE for Qwen3-0.6B's layer 9 and the first N
paragraphs of the physics corpus. Usage: python3 bench_make_inputs.py SAE_DIR CORPUS_IN CORPUS_OUT N [d_sae] [k]"""
import json, os, sys
import torch

def main(sae_dir, corpus_in, corpus_out, n, d_sae=4096, k=128, d_in=1024, layer=9):
    n, d_sae, k = int(n), int(d_sae), int(k)
    torch.manual_seed(0)
    os.makedirs(sae_dir, exist_ok=True)
    w_dec = torch.randn(d_sae, d_in)
    w_dec /= w_dec.norm(dim=1, keepdim=True)
    state = {"W_enc": w_dec.T.contiguous().clone(), "b_enc": torch.zeros(d_sae), "W_dec": w_dec,
             "b_dec": 0.01 * torch.randn(d_in), "ever_fired": torch.ones(d_sae, dtype=torch.bool),
             "num_batches_not_active": torch.zeros(d_sae)}
    torch.save(state, os.path.join(sae_dir, "weights.pt"))
    json.dump({"d_in": d_in, "d_sae": d_sae, "l1_coefficient": 0, "dtype": "float32", "device": "cpu",
               "hook_layer": str(layer), "hook_name": "hook_resid_post", "hook_spec": f"blocks.{layer}.hook_resid_post",
               "top_k": k, "top_k_aux": k // 2, "n_batches_to_dead": 200, "aux_penalty": 0.03125},
              open(os.path.join(sae_dir, "config.json"), "w"))
    texts = [t for t in json.load(open(corpus_in)) if t.strip()][:n]
    json.dump(texts, open(corpus_out, "w"), ensure_ascii=False)

if __name__ == "__main__":
    main(*sys.argv[1:])
