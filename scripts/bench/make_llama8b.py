"""Write a Llama-3-8B-shaped checkpoint with random bf16 weights (about 16 GB) for the 8B memory benchmark.
Usage: python3 make_llama8b.py OUT_DIR TOKENIZER_JSON [LAYERS=32]

Hugging Face layout: config.json (Llama-3.1-8B's: hidden 4096, 32 layers, intermediate 14336, 32 heads, 8 KV heads,
vocab 128256, rope llama3 scaling, untied head), sharded model-0000i-of-0000n.safetensors with
model.safetensors.index.json, and TOKENIZER_JSON as tokenizer.json (its ids must be < 128256, e.g. the test
fixture Tests/Fixtures/tokenizer/tiny-llama3.json). The model is never held in memory: each shard's header is
computed from the shapes, then each tensor is drawn in chunks and appended, so the peak memory is one chunk. Matrix
entries are bf16 bit patterns made from random bytes (random sign and 7-bit mantissa, magnitude in [2^-8, 2^-4),
std about 0.02): drawing 8 B normals in numpy took close to an hour on 2 shared cores, random bytes take minutes.
Norm weights are 1 + N(0, 0.1). Write it outside the repository (e.g. /work/big/)."""
import json, os, shutil, struct, sys
import numpy as np

HIDDEN, INTERMEDIATE, HEADS, KV_HEADS, VOCAB = 4096, 14336, 32, 8, 128256
HEAD_DIM = HIDDEN // HEADS
SHARD_BYTES = 5 * 10**9
CHUNK_ELEMENTS = 1 << 24


def tensors(layers):
    """(name, shape) in checkpoint order."""
    yield "model.embed_tokens.weight", (VOCAB, HIDDEN)
    for i in range(layers):
        p = f"model.layers.{i}."
        yield p + "input_layernorm.weight", (HIDDEN,)
        yield p + "self_attn.q_proj.weight", (HEADS * HEAD_DIM, HIDDEN)
        yield p + "self_attn.k_proj.weight", (KV_HEADS * HEAD_DIM, HIDDEN)
        yield p + "self_attn.v_proj.weight", (KV_HEADS * HEAD_DIM, HIDDEN)
        yield p + "self_attn.o_proj.weight", (HIDDEN, HEADS * HEAD_DIM)
        yield p + "post_attention_layernorm.weight", (HIDDEN,)
        yield p + "mlp.gate_proj.weight", (INTERMEDIATE, HIDDEN)
        yield p + "mlp.up_proj.weight", (INTERMEDIATE, HIDDEN)
        yield p + "mlp.down_proj.weight", (HIDDEN, INTERMEDIATE)
    yield "model.norm.weight", (HIDDEN,)
    yield "lm_head.weight", (VOCAB, HIDDEN)


def shards(layers):
    """Consecutive tensors grouped into shards of about SHARD_BYTES."""
    groups, current, size = [], [], 0
    for name, shape in tensors(layers):
        nbytes = 2 * int(np.prod(shape))
        if current and size + nbytes > SHARD_BYTES:
            groups.append(current)
            current, size = [], 0
        current.append((name, shape))
        size += nbytes
    groups.append(current)
    return groups


def bf16_bits(values):
    """float32 → bf16 bit patterns, rounding to nearest even (no NaN in random normals)."""
    bits = values.view(np.uint32)
    return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)


def random_bf16(n, rng):
    """n bf16 values: random sign (bit 15) and mantissa (bits 0-6); bits 7-8 pick the exponent 2^-8 ... 2^-5."""
    bits = np.frombuffer(rng.bytes(2 * n), dtype=np.uint16)
    exponent = (np.uint16(119) + ((bits >> np.uint16(7)) & np.uint16(3))) << np.uint16(7)
    return (bits & np.uint16(0x807F)) | exponent


def write_shard(path, group, rng):
    header, offset = {"__metadata__": {"format": "pt"}}, 0
    for name, shape in group:
        nbytes = 2 * int(np.prod(shape))
        header[name] = {"dtype": "BF16", "shape": list(shape), "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as out:
        out.write(struct.pack("<Q", len(text)))
        out.write(text)
        for name, shape in group:
            count = int(np.prod(shape))
            for start in range(0, count, CHUNK_ELEMENTS):
                n = min(CHUNK_ELEMENTS, count - start)
                if len(shape) == 1:
                    out.write(bf16_bits(1 + 0.1 * rng.standard_normal(n, dtype=np.float32)).tobytes())
                else:
                    out.write(random_bf16(n, rng).tobytes())


def config(layers):
    return {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "attention_bias": False,
        "attention_dropout": 0.0, "bos_token_id": 128000, "eos_token_id": 128001, "head_dim": HEAD_DIM,
        "hidden_act": "silu", "hidden_size": HIDDEN, "initializer_range": 0.02, "intermediate_size": INTERMEDIATE,
        "max_position_embeddings": 131072, "mlp_bias": False, "num_attention_heads": HEADS,
        "num_hidden_layers": layers, "num_key_value_heads": KV_HEADS, "pretraining_tp": 1, "rms_norm_eps": 1e-05,
        "rope_scaling": {"factor": 8.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                         "original_max_position_embeddings": 8192, "rope_type": "llama3"},
        "rope_theta": 500000.0, "tie_word_embeddings": False, "torch_dtype": "bfloat16", "use_cache": True,
        "vocab_size": VOCAB,
    }


def main(out, tokenizer, layers="32"):
    layers = int(layers)
    vocab = json.load(open(tokenizer))["model"]["vocab"]
    assert max(vocab.values()) < VOCAB, "the tokenizer's ids must be below the model's vocabulary size"
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(0)
    groups = shards(layers)
    weight_map, total = {}, 0
    for i, group in enumerate(groups):
        name = f"model-{i + 1:05d}-of-{len(groups):05d}.safetensors"
        write_shard(os.path.join(out, name), group, rng)
        for tensor, shape in group:
            weight_map[tensor] = name
            total += 2 * int(np.prod(shape))
        print("wrote", name, flush=True)
    with open(os.path.join(out, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config(layers), f, indent=2)
    shutil.copy(tokenizer, os.path.join(out, "tokenizer.json"))
    print(f"saved {out}: {total / 1e9:.2f} GB, {total // 2 / 1e9:.2f} B parameters")


if __name__ == "__main__":
    main(*sys.argv[1:])
