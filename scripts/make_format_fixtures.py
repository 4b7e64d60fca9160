#!/usr/bin/env python3
"""Writes the small fixtures under Tests/Fixtures/formats/ that the Swift format readers are tested against,
using the reference libraries (safetensors, numpy, scipy, torch) to write them and to compute expected values.

    python3 scripts/make_format_fixtures.py            # regenerate Tests/Fixtures/formats/
    python3 scripts/make_format_fixtures.py --check DIR  # verify files our Swift writers put in DIR

Expected values are stored as float32 bit patterns (`expected.json`) so NaN, -0 and subnormals compare exactly.
"""
import argparse
import json
import os
import shutil
import struct
import sys

import numpy as np
import torch
from safetensors.torch import save_file

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "Tests", "Fixtures", "formats")


def float32_bits(tensor):
    """The tensor converted to float32 by torch, as a flat list of uint32 bit patterns."""
    array = tensor.detach().to(torch.float32).contiguous().numpy().reshape(-1)
    return [int(b) for b in array.view(np.uint32)]


def describe(tensors):
    return {name: {"shape": list(t.shape), "bits": float32_bits(t)} for name, t in tensors.items()}


def describe_array(array):
    """Shape, descr, float32 bit patterns and (for integer/bool arrays) exact integer values of a numpy array."""
    entry = {"shape": list(array.shape), "descr": array.dtype.str,
             "bits": [int(b) for b in array.astype(np.float32).reshape(-1).view(np.uint32)]}
    if array.dtype.kind in "iub":
        entry["ints"] = [int(v) for v in array.reshape(-1)]
    return entry


def make_npy(out, expected):
    rng = np.random.default_rng(0)
    d = os.path.join(out, "npy")
    os.makedirs(d, exist_ok=True)
    arrays = {
        "f4_2x3": rng.standard_normal((2, 3)).astype("<f4"),
        "f8_4": rng.standard_normal(4).astype("<f8"),
        "f2_5": np.array([0, -0.0, 6e-8, 65504, np.inf], dtype="<f2"),
        "i1_3": np.array([-128, 0, 127], dtype="|i1"),
        "i2_3": np.array([-32768, 1, 32767], dtype="<i2"),
        "i4_2x2": np.array([[-(2 ** 31), 5], [7, 2 ** 31 - 1]], dtype="<i4"),
        "i8_3": np.array([-(2 ** 40), 0, 2 ** 40], dtype="<i8"),
        "u1_3": np.array([0, 7, 255], dtype="|u1"),
        "u2_2": np.array([0, 65535], dtype="<u2"),
        "u4_2": np.array([1, 2 ** 32 - 1], dtype="<u4"),
        "u8_2": np.array([3, 2 ** 40], dtype="<u8"),
        "b1_4": np.array([True, False, False, True]),
        "scalar_f4": np.array(1.5, dtype="<f4"),
        "empty_0x3": np.zeros((0, 3), dtype="<f4"),
        "f4_2x3x4": rng.standard_normal((2, 3, 4)).astype("<f4"),
    }
    for name, array in arrays.items():
        np.save(os.path.join(d, name + ".npy"), array)
        expected[f"npy/{name}.npy"] = {"array": describe_array(array)}
    # Newer header versions, written by numpy itself.
    for version in [(2, 0), (3, 0)]:
        name = f"v{version[0]}_f4_2x3"
        with open(os.path.join(d, name + ".npy"), "wb") as f:
            np.lib.format.write_array(f, arrays["f4_2x3"], version=version)
        expected[f"npy/{name}.npy"] = {"array": describe_array(arrays["f4_2x3"])}

    bad = os.path.join(d, "malformed")
    os.makedirs(bad, exist_ok=True)
    np.save(os.path.join(bad, "fortran_order.npy"), np.asfortranarray(rng.standard_normal((2, 3)).astype("<f4")))
    np.save(os.path.join(bad, "big_endian.npy"), np.arange(3, dtype=">f4"))
    np.save(os.path.join(bad, "structured.npy"), np.zeros(2, dtype=[("a", "<f4"), ("b", "<i4")]))
    np.save(os.path.join(bad, "complex.npy"), np.zeros(2, dtype="<c8"))
    good = open(os.path.join(d, "f4_2x3.npy"), "rb").read()
    write(os.path.join(bad, "truncated_data.npy"), good[:-1])
    write(os.path.join(bad, "extra_data.npy"), good + b"\0\0\0\0")
    write(os.path.join(bad, "truncated_header.npy"), good[:40])
    write(os.path.join(bad, "bad_magic.npy"), b"\x93NUMPZ" + good[6:])
    write(os.path.join(bad, "version_9.npy"), good[:6] + b"\x09\x00" + good[8:])
    write(os.path.join(bad, "huge_header_length.npy"), good[:6] + b"\x02\x00" + struct.pack("<I", 2 ** 31) + good[12:])

    def with_header(text):
        header = text.encode("latin1")
        header += b" " * ((64 - (10 + len(header) + 1) % 64) % 64) + b"\n"
        return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + bytes(24)

    write(os.path.join(bad, "missing_shape.npy"), with_header("{'descr': '<f4', 'fortran_order': False, }"))
    write(os.path.join(bad, "negative_shape.npy"), with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (-6,), }"))
    write(os.path.join(bad, "header_not_dict.npy"), with_header("[1, 2, 3]"))
    write(os.path.join(bad, "header_garbage.npy"), with_header("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (6,), }"))
    write(os.path.join(bad, "unclosed_header.npy"), with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (6,"))
    for name in os.listdir(bad):
        try:
            np.load(os.path.join(bad, name), allow_pickle=False)
            if name not in ("fortran_order.npy", "big_endian.npy", "structured.npy", "complex.npy", "extra_data.npy"):
                raise SystemExit(f"numpy accepts malformed fixture {name}")
        except Exception:  # numpy raises ValueError, EOFError, OSError or tokenize errors
            pass


def make_npz(out, expected):
    from scipy import sparse
    rng = np.random.default_rng(1)
    d = os.path.join(out, "npz")
    os.makedirs(d, exist_ok=True)
    arrays = {"weights": rng.standard_normal((3, 4)).astype("<f4"), "ids": np.arange(5, dtype="<i8"),
              "mask": np.array([True, False]), "scale": np.array(0.25)}
    np.savez(os.path.join(d, "stored.npz"), **arrays)
    np.savez_compressed(os.path.join(d, "compressed.npz"), **arrays)
    for name in ["stored", "compressed"]:
        expected[f"npz/{name}.npz"] = {k: describe_array(v) for k, v in arrays.items()}

    dense = rng.standard_normal((4, 6)).astype("<f4")
    dense[rng.random((4, 6)) < 0.6] = 0
    dense[2, :] = 0  # an empty row
    matrix = sparse.csr_matrix(dense)
    sparse.save_npz(os.path.join(d, "csr_compressed.npz"), matrix, compressed=True)
    sparse.save_npz(os.path.join(d, "csr_stored.npz"), matrix, compressed=False)
    for name in ["csr_compressed", "csr_stored"]:
        expected[f"npz/{name}.npz"] = {"dense": describe_array(dense)}
    sparse.save_npz(os.path.join(d, "csc.npz"), sparse.csc_matrix(dense))

    bad = os.path.join(d, "malformed")
    os.makedirs(bad, exist_ok=True)
    good = open(os.path.join(d, "compressed.npz"), "rb").read()
    write(os.path.join(bad, "truncated.npz"), good[: len(good) // 2])
    write(os.path.join(bad, "not_zip.npz"), b"this is not a zip archive at all" * 4)
    corrupt = bytearray(open(os.path.join(d, "stored.npz"), "rb").read())
    corrupt[200] ^= 0xFF  # inside the first member's data: the CRC no longer matches
    write(os.path.join(bad, "bad_crc.npz"), bytes(corrupt))
    np.savez(os.path.join(bad, "member_not_npy.npz"), a=np.zeros(2))
    with open(os.path.join(bad, "member_not_npy.npz"), "wb") as f:
        import zipfile
        with zipfile.ZipFile(f, "w") as z:
            z.writestr("a.npy", b"definitely not npy")
    # CSR archives whose parts disagree.
    def csr_parts(path, **override):
        parts = {"data": matrix.data, "indices": matrix.indices, "indptr": matrix.indptr,
                 "format": np.array("csr"), "shape": np.array(matrix.shape)}
        parts.update(override)
        np.savez(os.path.join(bad, path), **parts)
    csr_parts("csr_index_out_of_range.npz", indices=matrix.indices + 6)
    csr_parts("csr_short_indptr.npz", indptr=matrix.indptr[:-1])
    csr_parts("csr_wrong_format.npz", format=np.array("coo"))
    csr_parts("csr_float_indices.npz", indices=matrix.indices.astype(np.float32))


def make_safetensors(out, expected):
    g = torch.Generator().manual_seed(0)
    d = os.path.join(out, "safetensors")
    os.makedirs(d, exist_ok=True)

    f32 = {"weight": torch.randn(3, 4, generator=g), "bias": torch.randn(4, generator=g),
           "scalar": torch.tensor(2.5), "empty": torch.zeros(0, 3)}
    save_file(f32, os.path.join(d, "f32.safetensors"), metadata={"format": "pt", "note": "fixture"})

    # Every interesting binary16 class: zeros, subnormals, normals, the largest finite, infinities, NaN.
    special16 = torch.tensor([0x0000, 0x8000, 0x0001, 0x03ff, 0x0400, 0x3c00, 0xbc00, 0x7bff, 0x7c00, 0xfc00,
                              0x7e00, 0x3555, 0xc000], dtype=torch.int32).to(torch.int16).view(torch.float16)
    f16 = {"special": special16, "random": torch.randn(2, 3, 5, generator=g).to(torch.float16)}
    save_file(f16, os.path.join(d, "f16.safetensors"))

    special_bf16 = torch.tensor([0x0000, 0x8000, 0x0001, 0x3f80, 0xbf80, 0x7f7f, 0x7f80, 0xff80, 0x7fc0, 0x4049],
                                dtype=torch.int32).to(torch.int16).view(torch.bfloat16)
    bf16 = {"special": special_bf16, "random": torch.randn(4, 3, generator=g).to(torch.bfloat16)}
    save_file(bf16, os.path.join(d, "bf16.safetensors"))

    mixed = {"f64": torch.randn(3, generator=g, dtype=torch.float64),
             "i64": torch.tensor([-(2 ** 40), -1, 0, 7], dtype=torch.int64),
             "i32": torch.tensor([[-5, 6], [2 ** 20, -(2 ** 31)]], dtype=torch.int32),
             "i16": torch.tensor([-32768, 32767, 3], dtype=torch.int16),
             "i8": torch.tensor([-128, 127, 0], dtype=torch.int8),
             "u8": torch.tensor([0, 255, 9], dtype=torch.uint8),
             "bool": torch.tensor([True, False, True])}
    save_file(mixed, os.path.join(d, "mixed.safetensors"))

    for name, tensors in [("f32", f32), ("f16", f16), ("bf16", bf16), ("mixed", mixed)]:
        expected[f"safetensors/{name}.safetensors"] = describe(tensors)

    # A Hugging Face style model directory, single file and sharded.
    single = os.path.join(d, "single")
    os.makedirs(single, exist_ok=True)
    model = {"embed.weight": torch.randn(5, 2, generator=g).to(torch.bfloat16),
             "layers.0.mlp.weight": torch.randn(2, 2, generator=g).to(torch.bfloat16),
             "layers.1.mlp.weight": torch.randn(2, 2, generator=g).to(torch.bfloat16),
             "norm.weight": torch.ones(2)}
    save_file(model, os.path.join(single, "model.safetensors"))
    expected["safetensors/single"] = describe(model)

    sharded = os.path.join(d, "sharded")
    os.makedirs(sharded, exist_ok=True)
    shard_names = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
    shards = [{k: model[k] for k in ["embed.weight", "layers.0.mlp.weight"]},
              {k: model[k] for k in ["layers.1.mlp.weight", "norm.weight"]}]
    weight_map = {}
    for shard_name, shard in zip(shard_names, shards):
        save_file(shard, os.path.join(sharded, shard_name), metadata={"format": "pt"})
        weight_map.update({k: shard_name for k in shard})
    with open(os.path.join(sharded, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": 0}, "weight_map": weight_map}, f, indent=2, sort_keys=True)
    expected["safetensors/sharded"] = describe(model)

    # Malformed files, each rejected by the reference loader too.
    bad = os.path.join(d, "malformed")
    os.makedirs(bad, exist_ok=True)
    good = open(os.path.join(d, "f32.safetensors"), "rb").read()
    write(os.path.join(bad, "truncated_data.safetensors"), good[:-5])
    write(os.path.join(bad, "truncated_header.safetensors"), good[:20])
    write(os.path.join(bad, "too_short.safetensors"), good[:5])
    write(os.path.join(bad, "huge_header_length.safetensors"), struct.pack("<Q", 2 ** 62) + good[8:])
    write(os.path.join(bad, "header_length_past_end.safetensors"), struct.pack("<Q", len(good)) + good[8:])

    def raw(header, data):
        blob = json.dumps(header).encode()
        return struct.pack("<Q", len(blob)) + blob + data

    eight = bytes(range(8))
    cases = {
        "offsets_lie.safetensors": raw({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 12]}}, eight),
        "offsets_past_end.safetensors": raw({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, eight),
        "overlap.safetensors": raw({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                                    "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, eight),
        "gap.safetensors": raw({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, eight),
        "unknown_dtype.safetensors": raw({"a": {"dtype": "Q7", "shape": [2], "data_offsets": [0, 8]}}, eight),
        "negative_shape.safetensors": raw({"a": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}, eight),
        "bool_in_shape.safetensors": raw({"a": {"dtype": "U8", "shape": [True], "data_offsets": [0, 1]}}, b"\x00"),
        "fractional_offset.safetensors": raw({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8.5]}}, eight),
        "not_json.safetensors": struct.pack("<Q", 6) + b"{nope}" + eight,
        "not_object.safetensors": raw([1, 2], b""),
        "metadata_not_strings.safetensors": raw({"__metadata__": {"k": 1}}, b""),
    }
    for name, blob in cases.items():
        write(os.path.join(bad, name), blob)


def checksums(tensor):
    """Exact, order-sensitive fingerprints of a tensor's float32 conversion, for tensors too big to list."""
    bits = tensor.detach().to(torch.float32).contiguous().numpy().reshape(-1).view(np.uint32).astype(np.uint64)
    weights = np.arange(1, len(bits) + 1, dtype=np.uint64)
    return {"shape": list(tensor.shape), "count": int(len(bits)),
            "bit_sum": int(bits.sum(dtype=np.uint64)), "weighted_bit_sum": int((bits * weights).sum(dtype=np.uint64)),
            "first_bits": [int(b) for b in bits[:8]], "sum": float(tensor.double().sum())}


def make_torch(out, expected, checks):
    import zipfile
    from collections import OrderedDict
    g = torch.Generator().manual_seed(2)
    d = os.path.join(out, "torch")
    os.makedirs(d, exist_ok=True)

    base = torch.randn(4, 6, generator=g)
    dtypes = OrderedDict([
        ("f32", torch.randn(2, 3, generator=g)), ("f16", torch.randn(5, generator=g).half()),
        ("bf16", torch.randn(3, 2, generator=g).bfloat16()), ("f64", torch.randn(2, generator=g).double()),
        ("i64", torch.tensor([-(2 ** 40), 3])), ("i32", torch.tensor([7, -9], dtype=torch.int32)),
        ("i16", torch.tensor([-300, 300], dtype=torch.int16)), ("i8", torch.tensor([-100, 100], dtype=torch.int8)),
        ("u8", torch.tensor([0, 200], dtype=torch.uint8)), ("bool", torch.tensor([[True, False], [False, True]])),
        ("scalar", torch.tensor(3.25)), ("empty", torch.zeros(0, 4)),
        # Views: a transpose, a strided slice sharing the storage at an offset, and a broadcast (stride 0).
        ("base", base), ("transposed", base.t()), ("slice", base[1:3, ::2]), ("expanded", torch.randn(3, 1, generator=g).expand(3, 4)),
    ])
    torch.save(dtypes, os.path.join(d, "dtypes_and_views.pt"))
    expected["torch/dtypes_and_views.pt"] = describe(dtypes)

    module = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.LayerNorm(2))
    state = module.state_dict()  # an OrderedDict with _metadata, set by BUILD
    torch.save(state, os.path.join(d, "module_state_dict.pt"))
    expected["torch/module_state_dict.pt"] = describe(state)

    parameters = {"weight": torch.nn.Parameter(torch.randn(2, 2, generator=g)), "nested": {"bias": torch.randn(2, generator=g), "k": 32}}
    buffer = __import__("io").BytesIO()
    torch.save(parameters, buffer)  # saved to a buffer: members sit under archive/
    write(os.path.join(d, "parameters_in_buffer.pt"), buffer.getvalue())
    expected["torch/parameters_in_buffer.pt"] = describe({"weight": parameters["weight"], "nested.bias": parameters["nested"]["bias"]})

    # The seed's exported SAEs, copied so CI can read them without /work/shared.
    for name in ["seed-sae-btopk8-l2", "seed-sae-relu-l2"]:
        source = f"/work/shared/fixtures/{name}/weights.pt"
        target = os.path.join(d, f"{name}.pt")
        shutil.copyfile(source, target)
        loaded = torch.load(target, weights_only=True)
        checks[f"torch/{name}.pt"] = {k: checksums(v) for k, v in loaded.items()}

    bad = os.path.join(d, "malformed")
    os.makedirs(bad, exist_ok=True)
    good_path = os.path.join(d, "dtypes_and_views.pt")
    good = open(good_path, "rb").read()
    write(os.path.join(bad, "truncated.pt"), good[: len(good) // 2])
    torch.save({"a": torch.ones(2)}, os.path.join(bad, "legacy_format.pt"), _use_new_zipfile_serialization=False)
    torch.save([torch.ones(2)], os.path.join(bad, "list_not_dict.pt"))

    def rewrite(name, transform_pickle=None, drop=None, replace=None):
        """Copies a small valid archive, changing data.pkl or members."""
        source = os.path.join(bad, "_source.pt")
        torch.save({"w": torch.arange(6, dtype=torch.float32).reshape(2, 3)}, source)
        with zipfile.ZipFile(source) as zin, zipfile.ZipFile(os.path.join(bad, name), "w") as zout:
            for info in zin.infolist():
                data = zin.read(info.filename)
                if drop and info.filename.endswith(drop):
                    continue
                if transform_pickle and info.filename.endswith("/data.pkl"):
                    data = transform_pickle(data)
                if replace and info.filename.endswith(replace[0]):
                    data = replace[1]
                zout.writestr(info.filename, data)
        os.remove(source)

    rewrite("os_system_global.pt", transform_pickle=lambda p: p.replace(b"collections\nOrderedDict", b"os\nsystem"))
    rewrite("eval_global.pt", transform_pickle=lambda p: p.replace(b"torch._utils\n_rebuild_tensor_v2", b"builtins\neval"))
    rewrite("missing_storage.pt", drop="/data/0")
    rewrite("short_storage.pt", replace=("/data/0", bytes(20)))
    rewrite("view_past_storage.pt", replace=("/data/0", bytes(24)),
            transform_pickle=lambda p: p.replace(b"K\x02K\x03\x86", b"K\x03K\x03\x86"))
    rewrite("truncated_pickle.pt", transform_pickle=lambda p: p[:-10])
    rewrite("unknown_opcode.pt", transform_pickle=lambda p: p[:2] + b"\xff" + p[2:])
    rewrite("big_endian.pt", replace=("/byteorder", b"big"))
    for name in os.listdir(bad):
        try:
            torch.load(os.path.join(bad, name), weights_only=True)
            if name not in ("legacy_format.pt", "list_not_dict.pt", "big_endian.pt"):
                raise SystemExit(f"torch accepts malformed fixture {name}")
        except SystemExit:
            raise
        except Exception:
            pass


def write(path, blob):
    with open(path, "wb") as f:
        f.write(blob)


def generate():
    expected = {}
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    make_safetensors(OUT, expected)
    make_npy(OUT, expected)
    make_npz(OUT, expected)
    checks = {}
    make_torch(OUT, expected, checks)
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
    with open(os.path.join(OUT, "checksums.json"), "w") as f:
        json.dump(checks, f, indent=1, sort_keys=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", metavar="DIR", help="verify files written by the Swift writers into DIR")
    args = parser.parse_args()
    if args.check:
        sys.exit(check(args.check))
    generate()


def check(directory):
    """Loads the files `RoundTripFiles.write` (Tests/AnalyzeTests/Formats/NPYTests.swift) wrote into `directory`
    with numpy and scipy and compares them with the same values computed here. Returns a process exit status."""
    import zipfile
    from scipy import sparse

    def floats(n):
        return np.arange(n, dtype=np.float32) * np.float32(0.5) - np.float32(3)

    def path(name):
        return os.path.join(directory, name)

    def same(name, actual, expected):
        assert actual.dtype == expected.dtype, f"{name}: dtype {actual.dtype} != {expected.dtype}"
        assert actual.shape == expected.shape, f"{name}: shape {actual.shape} != {expected.shape}"
        assert np.array_equal(actual, expected), f"{name}: values differ"
        print(f"ok  {name}  {actual.dtype.str} {actual.shape}")

    same("f32.npy", np.load(path("f32.npy")), floats(15).reshape(3, 5))
    same("f64.npy", np.load(path("f64.npy")), floats(4).astype(np.float64).reshape(2, 2))
    same("i32.npy", np.load(path("i32.npy")), np.array([-7, 0, 2 ** 31 - 1], dtype="<i4"))
    same("i64.npy", np.load(path("i64.npy")), np.array([-(2 ** 63), 2 ** 40], dtype="<i8"))
    same("scalar.npy", np.load(path("scalar.npy")), np.array(42, dtype="<f4"))
    same("empty.npy", np.load(path("empty.npy")), np.zeros((0, 4), dtype="<f4"))
    for name in ["f32.npy", "i64.npy", "scalar.npy"]:
        with open(path(name), "rb") as f:
            version = np.lib.format.read_magic(f)
            header_length = 10 + struct.unpack("<H", f.read(2))[0]
        assert version == (1, 0) and header_length % 64 == 0, f"{name}: version {version}, data at {header_length}"
    for name, method in [("arrays_stored.npz", zipfile.ZIP_STORED), ("arrays_compressed.npz", zipfile.ZIP_DEFLATED)]:
        with zipfile.ZipFile(path(name)) as z:
            assert z.testzip() is None, f"{name}: CRC error"
            assert [i.compress_type for i in z.infolist()] == [method, method], f"{name}: compression"
        with np.load(path(name), allow_pickle=False) as z:
            assert z.files == ["a", "b"], f"{name}: members {z.files}"
            same(name + ":a", z["a"], floats(6).reshape(2, 3))
            same(name + ":b", z["b"], np.array([1, 2], dtype="<i8"))
    dense = floats(20)
    dense[np.arange(20) % 3 != 0] = 0
    matrix = sparse.load_npz(path("csr.npz"))
    assert matrix.format == "csr", matrix.format
    matrix.check_format(full_check=True)
    same("csr.npz", matrix.toarray(), dense.reshape(4, 5))
    empty = sparse.load_npz(path("csr_empty.npz"))
    assert empty.format == "csr" and empty.shape == (0, 3), (empty.format, empty.shape)
    print("ok  csr_empty.npz  (0, 3)")
    print(f"all round-trip files in {directory} match")
    return 0


if __name__ == "__main__":
    main()
