#!/usr/bin/env python3
"""Independent reference for ClipTokenizerTests: produced the expected id literals in that file.

A stdlib-only transcription of OpenAI CLIP's simple_tokenizer.py (without ftfy / html.unescape, as
Hugging Face's CLIPTokenizer does when ftfy is absent). It reads the *OpenAI* vocabulary file
bpe_simple_vocab_16e6.txt.gz, not the vocab.json + merges.txt pair the C# code loads, so a shared
mistake in reading either format cannot hide. Python's `re` has no \\p{L}/\\p{N}, so the
pre-tokenising regex is emulated by a scanner over Unicode categories (same alternation order).

Run from the repository root:  python3 tests/Sieve.Tests/Data/clip_bpe_reference.py
It prints one C# `(text, ids)` line per sentence, as in the test's Reference table (the long last one
is built there with string.Join).
"""
import gzip
import re
import sys
import unicodedata
from pathlib import Path

VOCAB = Path(__file__).resolve().parents[4] / "shared" / "vocab" / "bpe_simple_vocab_16e6.txt.gz"
SPECIALS = ("<|startoftext|>", "<|endoftext|>")
CONTRACTIONS = ("'s", "'t", "'re", "'ve", "'m", "'ll", "'d")


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def is_letter(c):
    return unicodedata.category(c).startswith("L")


def is_number(c):
    return unicodedata.category(c).startswith("N")


def pieces(text):
    """re.findall of <\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+"""
    i, out = 0, []
    while i < len(text):
        fixed = next((s for s in SPECIALS + CONTRACTIONS if text.startswith(s, i)), None)
        if fixed:
            j = i + len(fixed)
        elif is_letter(text[i]):
            j = i + 1
            while j < len(text) and is_letter(text[j]):
                j += 1
        elif is_number(text[i]):
            j = i + 1
        elif not text[i].isspace():
            j = i + 1
            while j < len(text) and not (text[j].isspace() or is_letter(text[j]) or is_number(text[j])):
                j += 1
        else:
            i += 1
            continue
        out.append(text[i:j])
        i = j
    return out


def get_pairs(word):
    return set(zip(word, word[1:]))


class SimpleTokenizer:
    def __init__(self, path):
        self.byte_encoder = bytes_to_unicode()
        merges = gzip.open(path).read().decode("utf-8").split("\n")
        merges = [tuple(m.split()) for m in merges[1:49152 - 256 - 2 + 1]]
        vocab = list(self.byte_encoder.values())
        vocab = vocab + [v + "</w>" for v in vocab]
        vocab += ["".join(m) for m in merges]
        vocab += list(SPECIALS)
        self.encoder = {v: i for i, v in enumerate(vocab)}
        self.bpe_ranks = {m: i for i, m in enumerate(merges)}
        self.cache = {s: s for s in SPECIALS}

    def bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = tuple(token[:-1]) + (token[-1] + "</w>",)
        pairs = get_pairs(word)
        if not pairs:
            return token + "</w>"
        while True:
            bigram = min(pairs, key=lambda pair: self.bpe_ranks.get(pair, float("inf")))
            if bigram not in self.bpe_ranks:
                break
            first, second = bigram
            new_word, i = [], 0
            while i < len(word):
                try:
                    j = word.index(first, i)
                except ValueError:
                    new_word.extend(word[i:])
                    break
                new_word.extend(word[i:j])
                i = j
                if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
                    new_word.append(first + second)
                    i += 2
                else:
                    new_word.append(word[i])
                    i += 1
            word = tuple(new_word)
            if len(word) == 1:
                break
            pairs = get_pairs(word)
        self.cache[token] = " ".join(word)
        return self.cache[token]

    def encode(self, text, context_length=77):
        # ftfy.fix_text's NFC step, then whitespace_clean, then lower-casing.
        text = re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip().lower()
        ids = []
        for token in pieces(text):
            token = "".join(self.byte_encoder[b] for b in token.encode("utf-8"))
            ids.extend(self.encoder[t] for t in self.bpe(token).split(" "))
        sot, eot = self.encoder[SPECIALS[0]], self.encoder[SPECIALS[1]]
        return [sot] + ids[:context_length - 2] + [eot]  # HF truncation=True keeps EOT last


SENTENCES = [
    "a photo of a cat",
    "a photo of a cat.",
    "A PHOTO of a Dog!!",
    "2 cats and 17 dogs",
    "it's they'll we've I'm you'd they're don't",
    "hello...world?? (yes) -- #1 @home",
    "  tabs\tand\nnewlines \r\n  everywhere  ",
    "supercalifragilisticexpialidocious",
    "café naïve Zürich",
    "i love 🐈 and 🍕!",
    "",
    "<|startoftext|>x<|endoftext|>",
    " ".join(f"word{i}" for i in range(60)),
]


def csharp_literal(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r") + '"'


if __name__ == "__main__":
    tok = SimpleTokenizer(sys.argv[1] if len(sys.argv) > 1 else VOCAB)
    for s in SENTENCES:
        print(f"({csharp_literal(s)}, [{', '.join(map(str, tok.encode(s)))}]),")
