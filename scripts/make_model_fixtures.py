#!/usr/bin/env python3
"""Tiny random Qwen3-family checkpoints and transformers reference outputs for the Swift model tests.

Writes Tests/Fixtures/model/<name>/{config.json, model.safetensors, reference.json, reference.safetensors}:
- the model made like /work/shared/tools/make_qwen3.py (random init, norm weights 1 + 0.1·N(0,1), saved in BF16),
  at a reduced vocabulary so the fixture stays small;
- reference.json: the token sequences; reference.safetensors: for each sequence i, F32 tensors
  "i.blocks.L.hook_{resid_pre,attn_out,resid_mid,mlp_out,resid_post}" [T, d], "i.final_hidden" [T, d] (after the
  final norm) and "i.logits" [T, vocab], from transformers in fp32 (the BF16 weights upcast), each sequence run alone.
Also nan-weights/: a minimal checkpoint with a NaN in one tensor (the loader must reject it).

Usage: python3 scripts/make_model_fixtures.py  (needs torch, transformers, safetensors)"""
import json, os, shutil
import torch
from safetensors.torch import save_file
from transformers import Qwen2Config, Qwen2ForCausalLM, Qwen3Config, Qwen3ForCausalLM

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "model")
POINTS = ["hook_resid_pre", "hook_attn_out", "hook_resid_mid", "hook_mlp_out", "hook_resid_post"]


def spread(model, bias_scale=0.0):
    """make_qwen3.py's spreading of norm weights (random init is ~N(0, 0.02)); optionally random biases too."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name:
                p.copy_(1.0 + 0.1 * torch.randn_like(p))
            elif name.endswith(".bias"):
                p.copy_(bias_scale * torch.randn_like(p))


def references(model, sequences):
    """Every hook of every block, the final hidden states and the logits, for each sequence run alone in fp32."""
    out = {}
    for i, tokens in enumerate(sequences):
        captured, handles = {}, []
        for layer, block in enumerate(model.model.layers):
            def keep(name):
                return lambda module, args, kwargs=None: captured.__setitem__(name, args[0].detach().clone())
            def keep_output(name):
                return lambda module, args, output: captured.__setitem__(
                    name, (output[0] if isinstance(output, tuple) else output).detach().clone())
            prefix = f"blocks.{layer}."
            handles.append(block.register_forward_pre_hook(keep(prefix + "hook_resid_pre")))
            handles.append(block.self_attn.register_forward_hook(keep_output(prefix + "hook_attn_out")))
            handles.append(block.post_attention_layernorm.register_forward_pre_hook(keep(prefix + "hook_resid_mid")))
            handles.append(block.mlp.register_forward_hook(keep_output(prefix + "hook_mlp_out")))
            handles.append(block.register_forward_hook(keep_output(prefix + "hook_resid_post")))
        handles.append(model.model.norm.register_forward_hook(keep_output("final_hidden")))
        with torch.inference_mode():
            logits = model(torch.tensor([tokens])).logits[0]
        for h in handles:
            h.remove()
        for name, value in captured.items():
            out[f"{i}.{name}"] = value[0].float().contiguous()
        out[f"{i}.logits"] = logits.float().contiguous()
        # resid_mid = resid_pre + attn_out and resid_post = resid_mid + mlp_out, as the hook names promise
        for layer in range(len(model.model.layers)):
            p = f"{i}.blocks.{layer}."
            assert torch.allclose(out[p + "hook_resid_mid"], out[p + "hook_resid_pre"] + out[p + "hook_attn_out"], atol=1e-5)
            assert torch.allclose(out[p + "hook_resid_post"], out[p + "hook_resid_mid"] + out[p + "hook_mlp_out"], atol=1e-5)
    return out


def save(name, model, sequences):
    directory = os.path.join(OUT, name)
    shutil.rmtree(directory, ignore_errors=True)
    model.to(torch.bfloat16).save_pretrained(directory, safe_serialization=True)
    for extra in ("generation_config.json",):
        if os.path.exists(os.path.join(directory, extra)):
            os.remove(os.path.join(directory, extra))
    # the reference runs the stored BF16 weights upcast to fp32, which is what the Swift loader computes with
    cls = type(model)
    reference_model = cls.from_pretrained(directory, dtype=torch.float32, attn_implementation="eager").eval()
    save_file(references(reference_model, sequences), os.path.join(directory, "reference.safetensors"))
    with open(os.path.join(directory, "reference.json"), "w") as f:
        json.dump({"sequences": sequences}, f)
    print(name, sum(p.numel() for p in model.parameters()), "params,", sum(map(len, sequences)), "tokens")


def random_sequences(vocab, lengths, seed):
    g = torch.Generator().manual_seed(seed)
    return [torch.randint(0, vocab, (n,), generator=g).tolist() for n in lengths]


def main():
    common = dict(max_position_embeddings=40960, rms_norm_eps=1e-6, bos_token_id=0, eos_token_id=1,
                  hidden_act="silu", torch_dtype="bfloat16")

    # The main fixture: make_qwen3.py's "tiny" shapes at vocabulary 512, tied head.
    torch.manual_seed(0)
    cfg = Qwen3Config(vocab_size=512, hidden_size=64, intermediate_size=176, num_hidden_layers=4,
                      num_attention_heads=4, num_key_value_heads=2, head_dim=16, rope_theta=1000000.0,
                      tie_word_embeddings=True, attention_bias=False, **common)
    model = Qwen3ForCausalLM(cfg)
    spread(model)
    save("tiny-qwen3", model, random_sequences(512, [5, 12, 23], seed=1))

    # Untied LM head, 2 blocks.
    torch.manual_seed(1)
    cfg = Qwen3Config(vocab_size=256, hidden_size=64, intermediate_size=96, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, head_dim=16, rope_theta=1000000.0,
                      tie_word_embeddings=False, attention_bias=False, **common)
    model = Qwen3ForCausalLM(cfg)
    spread(model)
    save("tiny-qwen3-untied", model, random_sequences(256, [6, 11], seed=2))

    # Qwen2 style: q/k/v biases, no q/k norm, rope_theta 10000, larger init so attention is far from uniform.
    torch.manual_seed(2)
    cfg = Qwen2Config(vocab_size=256, hidden_size=64, intermediate_size=96, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, rope_theta=10000.0,
                      tie_word_embeddings=True, initializer_range=0.1, **common)
    model = Qwen2ForCausalLM(cfg)
    spread(model, bias_scale=0.3)
    save("tiny-qwen2", model, random_sequences(256, [6, 11], seed=3))

    # A minimal Qwen3 with a NaN in one weight.
    torch.manual_seed(3)
    cfg = Qwen3Config(vocab_size=16, hidden_size=8, intermediate_size=8, num_hidden_layers=1,
                      num_attention_heads=2, num_key_value_heads=1, head_dim=4, tie_word_embeddings=True, **common)
    model = Qwen3ForCausalLM(cfg)
    with torch.no_grad():
        model.model.layers[0].mlp.up_proj.weight[1, 2] = float("nan")
    directory = os.path.join(OUT, "nan-weights")
    shutil.rmtree(directory, ignore_errors=True)
    model.to(torch.bfloat16).save_pretrained(directory, safe_serialization=True)
    os.remove(os.path.join(directory, "generation_config.json"))


if __name__ == "__main__":
    main()
