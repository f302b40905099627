#!/usr/bin/env python3
"""Regenerates the Chinese resources of the standard enricher from their packages.

    python3 derive.py --wheel cntext-2.2.1-py3-none-any.whl --jieba-dict .../jieba-rs-0.11.0/src/data/dict.txt

Get the wheel with `pip download --no-deps cntext==2.2.1`; the jieba dictionary is in the
jieba-rs 0.11.0 crate as cargo unpacks it (~/.cargo/registry/src/*/jieba-rs-0.11.0/src/data/
dict.txt, after any build that depends on jieba-rs). Writes, next to this script:

- ntusd_positive.txt, ntusd_negative.txt: the words of NTUSD's `positive` and `negative` lists
  in cntext/io/data/zh_common_NTUSD.yaml, one a line, sorted (by code point), without
  duplicates; entries with anything but CJK ideographs (`为..斗争`, `屌ㄌ`, `哼！`) are left out,
  since a segmenter never yields them as one word.
- jieba_small.txt: the segmentation dictionary, `word freq` a line: the TOP most frequent
  words of jieba's dictionary, plus every word of the two lists and of hand.tsv (a word jieba
  lacks gets frequency 10 if from NTUSD, so it is joined only where its parts are rarer
  still; a hand.tsv word gets the frequency that makes jieba join it, as jieba's
  suggest_freq), plus one entry U+E000 (a private-use character no text block contains) that
  carries the frequency of every word left out, so that the kept words' probabilities are
  those of the full dictionary.

Only the standard library is used, and the YAML is read line by line: the file is a list
under `Dictionary:` with `    positive:` / `    negative:` keys and `    - word` items.
"""

import argparse
import hashlib
import math
import os
import re
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
NTUSD_PATH = "cntext/io/data/zh_common_NTUSD.yaml"
IDEOGRAPHS = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+$")
ABSENT_NTUSD_FREQ = 10
SENTINEL = "\ue000"


def read_ntusd(wheel):
    with zipfile.ZipFile(wheel) as z:
        text = z.read(NTUSD_PATH).decode("utf-8")
    lists = {"positive": set(), "negative": set()}
    section = None
    for line in text.splitlines():
        key = re.match(r"^    (positive|negative):\s*$", line)
        if key:
            section = key.group(1)
            continue
        item = re.match(r"^    - (.*)$", line)
        if item and section:
            word = item.group(1).strip()
            if IDEOGRAPHS.match(word):
                lists[section].add(word)
        elif line and not line.startswith(" "):
            section = None
    return lists


def read_hand():
    words = []
    with open(os.path.join(HERE, "hand.tsv"), encoding="utf-8") as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            kind, word, value = line.rstrip("\n").split("\t")
            float(value)
            assert kind in ("negation", "degree", "contrast", "valence"), line
            words.append(word)
    return words


def read_jieba(path):
    freq = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2:
                freq[parts[0]] = int(parts[1])
    return freq


def best_split_logprob(word, freq, log_total):
    """jieba's best segmentation of `word` without the word itself: max sum of log(f/total)."""
    n = len(word)
    best = [0.0] + [-math.inf] * n
    for end in range(1, n + 1):
        for start in range(end):
            piece = word[start:end]
            if piece == word:
                continue
            f = freq.get(piece, 1 if end - start == 1 else 0)
            if f and best[start] > -math.inf:
                best[end] = max(best[end], best[start] + math.log(f) - log_total)
    return best[n]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wheel", required=True)
    ap.add_argument("--jieba-dict", required=True)
    ap.add_argument("--top", type=int, default=30000)
    args = ap.parse_args()

    with open(args.wheel, "rb") as f:
        print("wheel sha256", hashlib.sha256(f.read()).hexdigest(), file=sys.stderr)
    with open(args.jieba_dict, "rb") as f:
        print("jieba dict sha256", hashlib.sha256(f.read()).hexdigest(), file=sys.stderr)

    lists = read_ntusd(args.wheel)
    for name, words in lists.items():
        with open(os.path.join(HERE, f"ntusd_{name}.txt"), "w", encoding="utf-8", newline="\n") as out:
            out.writelines(w + "\n" for w in sorted(words))
        print(name, len(words), file=sys.stderr)

    full = read_jieba(args.jieba_dict)
    total = sum(full.values())
    log_total = math.log(total)
    ranked = sorted(full.items(), key=lambda kv: (-kv[1], kv[0]))
    kept = dict(ranked[: args.top])
    for word in sorted(lists["positive"] | lists["negative"]):
        kept.setdefault(word, full.get(word, ABSENT_NTUSD_FREQ))
    for word in read_hand():
        joined = math.exp(best_split_logprob(word, full, log_total) + log_total) + 1
        kept[word] = max(kept.get(word, 0), full.get(word, 0), int(joined))
    rest = total - sum(f for w, f in kept.items() if w in full)
    with open(os.path.join(HERE, "jieba_small.txt"), "w", encoding="utf-8", newline="\n") as out:
        for word, f in sorted(kept.items(), key=lambda kv: (-kv[1], kv[0])):
            out.write(f"{word} {f}\n")
        out.write(f"{SENTINEL} {max(rest, 1)}\n")
    print("jieba_small", len(kept) + 1, "words; left out carry", rest, "of", total, file=sys.stderr)


if __name__ == "__main__":
    main()
