"""Dive-code phrases, the hashed fallback encoder, the local BERT path and the embedding cache."""

from __future__ import annotations

import numpy as np
import pytest

from vatp_core import paths
from vatp_core.phrases import (
    PhraseError,
    dive_code_phrases,
    embed_phrases,
    load_finediving_lexicon,
    mtl_aqa_phrases,
    split_phrases,
)


@pytest.mark.parametrize(
    "code, expected",
    [
        ("407C", ["Inward", "3.5 Soms.Tuck", "0 Twist", "Entry"]),
        ("107b", ["Forward", "3.5 Soms.Pike", "0 Twist", "Entry"]),
        ("101A", ["Forward", "0.5 Som.Straight", "0 Twist", "Entry"]),
        ("5132D", ["Forward", "1.5 Soms.Pike", "1 Twist", "Entry"]),
        ("5337D", ["Reverse", "1.5 Soms.Pike", "3.5 Twists", "Entry"]),
        ("626C", ["Arm.Back", "3 Soms.Tuck", "0 Twist", "Entry"]),
        ("6142D", ["Arm.Forward", "2 Soms.Pike", "1 Twist", "Entry"]),
    ],
)
def test_dive_code_phrases(code, expected):
    assert dive_code_phrases(code) == expected


@pytest.mark.parametrize("bad", ["", "407", "40C", "907C", "5932D", "400C", "hello"])
def test_bad_dive_codes_are_refused(bad):
    with pytest.raises(PhraseError):
        dive_code_phrases(bad)


def test_phrases_agree_with_finediving_annotations(shared_datasets):
    """Our phrases match FineDiving's annotated sub-action names (its labels have a few slips, e.g. 407c as pike)."""
    from vatp_core.safe_pickle import safe_load

    lexicon = load_finediving_lexicon(shared_datasets / "finediving" / "Sub_action_Types_Table.pkl")
    assert len(lexicon) == 42 and lexicon[3] == "Inward"
    annotations = safe_load(shared_datasets / "finediving" / "FineDiving_fine-grained_annotation.pkl")
    plain = agree = every = agree_any_order = 0
    for entry in annotations.values():
        code = entry["action_type"]
        ours = [p for p in dive_code_phrases(code, lexicon) if p != "0 Twist"]
        theirs = list(entry["sub-action_types"].values())
        every += 1
        agree_any_order += sorted(ours) == sorted(theirs)
        if code[0] in "1234":
            plain += 1
            agree += ours == theirs
    assert plain > 2000 and agree / plain > 0.99
    assert every == 3000 and agree_any_order / every > 0.97
    # every phrase of every code in the set comes from the lexicon (or is the explicit "0 Twist")
    for code in {e["action_type"] for e in annotations.values()}:
        assert all(p in lexicon or p == "0 Twist" for p in dive_code_phrases(code, lexicon))


def test_lexicon_snaps_missing_names():
    lexicon = ["Forward", "1 Som.Pike", "2.5 Soms.Pike", "1 Twist", "2 Twists", "Entry"]
    assert dive_code_phrases("105B", lexicon) == ["Forward", "2.5 Soms.Pike", "0 Twist", "Entry"]
    assert dive_code_phrases("5154B", lexicon) == ["Forward", "2.5 Soms.Pike", "2 Twists", "Entry"]
    assert dive_code_phrases("5152B", lexicon)[2] == "1 Twist"


def test_mtl_aqa_fields_and_split():
    assert mtl_aqa_phrases(2, 7, 0, 2) == dive_code_phrases("407C")
    assert split_phrases(" Take-off ; Rotation;;Entry ") == ["Take-off", "Rotation", "Entry"]


def test_hash_encoder_is_deterministic_and_discriminative():
    phrases = ["Inward", "3.5 Soms.Tuck", "3.5 Soms.Pike", "Entry", "Inward"]
    a = embed_phrases(phrases, use_cache=False)
    b = embed_phrases(phrases, use_cache=False)
    assert a.shape == (5, 768) and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(a[0], a[4])
    sims = a @ a.T
    assert sims[1, 2] > sims[1, 3] + 0.2  # related phrases are closer than unrelated ones
    assert embed_phrases([]).shape == (0, 768)


def test_hash_embeddings_are_cached(vatp_home):
    first = embed_phrases(["Entry", "Back"])
    files = list((paths.cache_dir() / "phrases").rglob("*.npy"))
    assert len(files) == 2
    # poison the cache: a cached vector is served instead of being recomputed
    marker = np.full(768, 0.5, dtype=np.float32)
    for f in files:
        np.save(f, marker)
    again = embed_phrases(["Entry", "Back"])
    np.testing.assert_array_equal(again, np.stack([marker, marker]))
    assert not np.array_equal(first, again)


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory):
    """A small BERT with a vocabulary written by the test, saved with save_pretrained()."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizer

    folder = tmp_path_factory.mktemp("tiny_bert")
    words = [
        "inward",
        "forward",
        "back",
        "reverse",
        "entry",
        "twist",
        "twists",
        "soms",
        "som",
        "tuck",
        "pike",
        "straight",
        "arm",
        "3",
        "5",
        "0",
        "1",
        "2",
        ".",
    ]
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    BertTokenizer(str(folder / "vocab.txt")).save_pretrained(folder)
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=768,
        num_hidden_layers=1,
        num_attention_heads=12,
        intermediate_size=128,
        max_position_embeddings=64,
    )
    BertModel(config).eval().save_pretrained(folder)
    return folder


def test_local_bert_encoder(tiny_bert, monkeypatch):
    import torch
    from transformers import BertModel, BertTokenizer

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    phrases = ["Inward", "3.5 Soms.Tuck", "Entry"]
    got = embed_phrases(phrases, encoder=str(tiny_bert))
    assert got.shape == (3, 768) and got.dtype == np.float32
    # independent reference: mean of the last hidden states over real tokens
    tok = BertTokenizer.from_pretrained(tiny_bert)
    model = BertModel.from_pretrained(tiny_bert).eval()
    with torch.no_grad():
        for i, p in enumerate(phrases):
            ids = tok(p, return_tensors="pt")
            ref = model(**ids).last_hidden_state[0].mean(0).numpy()
            np.testing.assert_allclose(got[i], ref, rtol=1e-4, atol=1e-5)
    cls = embed_phrases(phrases, encoder=str(tiny_bert), pooling="cls")
    assert not np.allclose(cls, got)
    assert len(list((paths.cache_dir() / "phrases").rglob("*.npy"))) == 6  # two encoders' keys x 3 phrases


def test_missing_bert_folder_is_a_clear_error(tmp_path):
    import time

    start = time.monotonic()
    with pytest.raises(PhraseError, match="local files"):
        embed_phrases(["Entry"], encoder=str(tmp_path / "no-such-model"))
    assert time.monotonic() - start < 5


def test_token_embeddings_from_a_local_bert(tiny_bert, monkeypatch):
    """Eq. 2: one vector per word piece of the routine's text, BERT's last layer, special tokens left out."""
    import torch
    from transformers import BertModel, BertTokenizer

    from vatp_core.phrases import TOKEN_JOIN, embed_tokens

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    phrases = ["Inward", "3.5 Soms.Tuck", "0 Twist", "Entry"]
    got = embed_tokens(phrases, encoder=str(tiny_bert))
    tok = BertTokenizer.from_pretrained(tiny_bert)
    ids = tok(TOKEN_JOIN.join(phrases), return_tensors="pt")
    with torch.no_grad():
        ref = BertModel.from_pretrained(tiny_bert).eval()(**ids).last_hidden_state[0, 1:-1].numpy()
    assert got.shape == ref.shape and got.shape[0] > len(phrases) and got.dtype == np.float32
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(embed_tokens(phrases, encoder=str(tiny_bert)), got)  # from the cache


def test_hashed_token_embeddings():
    from vatp_core.phrases import embed_tokens, hash_tokens

    phrases = ["Inward", "3.5 Soms.Tuck", "0 Twist", "Entry"]
    tokens = hash_tokens(phrases)
    assert [t for t, _ in tokens] == ["inward", "3.5", "soms", ".", "tuck", "0", "twist", "entry"]
    e = embed_tokens(phrases)
    assert e.shape == (8, 768) and np.allclose(np.linalg.norm(e, axis=1), 1.0, atol=1e-5)
    sim = e @ e.T
    assert sim[2, 4] > 0.2 and abs(sim[0, 7]) < 0.1  # tokens of one phrase stay close, others apart
    assert not np.allclose(embed_tokens(["Back", "3.5 Soms.Tuck", "0 Twist", "Entry"])[0], e[0])
