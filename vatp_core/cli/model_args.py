"""Ablation options shared by `vatp train` (and the tables of `vatp reproduce`): losses, β, γ, S, blocks, TE layers."""

from __future__ import annotations

import argparse
from typing import Any

from . import CLIError

MAX_QUERIES = 8  # explanations use exact Shapley values over the S sub-actions: 2^S head evaluations per score
LOSSES = ("reg", "div", "alg", "gc")
MODEL_PARTS = ("input_proj", "temporal_encoder", "parseformer", "text_proj", "context_decoder", "score_head")


def add_model_args(p: argparse.ArgumentParser) -> None:
    """Options that override the preset's model and loss settings (each left unset keeps the preset's)."""
    g = p.add_argument_group("ablations (override the preset; the paper's values are the defaults)")
    g.add_argument(
        "--losses",
        default=None,
        metavar="LIST",
        help="comma-separated losses to use: reg (always), div, alg, gc; e.g. reg,div (Table V)",
    )
    g.add_argument("--beta", type=float, default=None, help="weight β of L_div (paper 0.1)")
    g.add_argument("--gamma", type=float, default=None, help="weight γ of L_gc (paper 0.1)")
    g.add_argument(
        "--queries", type=int, default=None, metavar="S", help=f"sub-action queries S, 1..{MAX_QUERIES} (paper 4)"
    )
    g.add_argument("--blocks", type=int, default=None, metavar="N", help="ParseFormer decoder blocks (paper 2)")
    g.add_argument("--te-layers", type=int, default=None, metavar="N", help="temporal encoder layers (paper 1)")
    g.add_argument(
        "--te-positional",
        default=None,
        choices=("none", "sinusoidal"),
        help="clip-position code in the temporal encoder (not in the paper nor GDLT; default none)",
    )
    g.add_argument(
        "--init-parts",
        default=None,
        metavar="LIST",
        help="with --init: the parts copied from the pack (default parseformer, as the paper fine-tunes it; "
        f"'all' or a comma-separated list of {', '.join(MODEL_PARTS)})",
    )


def model_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """VATPConfig overrides from the ablation options (CLIError on a bad value)."""
    out: dict[str, Any] = {}
    if getattr(args, "losses", None):
        chosen = [s.strip().lower().replace("l_", "") for s in args.losses.split(",") if s.strip()]
        unknown = [s for s in chosen if s not in LOSSES]
        if unknown:
            raise CLIError(f"unknown loss {unknown[0]!r} in --losses; choose from {', '.join(LOSSES)}")
        if "reg" not in chosen:
            raise CLIError("--losses must include reg (the score regression is what is trained)")
        out.update(use_div="div" in chosen, use_alg="alg" in chosen, use_gc="gc" in chosen)
    for opt, key in (("beta", "beta"), ("gamma", "gamma")):
        v = getattr(args, opt, None)
        if v is not None:
            if v < 0 or (key == "gamma" and v == 0):
                raise CLIError(f"--{opt} must be {'> 0' if key == 'gamma' else '≥ 0'}, got {v}")
            out[key] = float(v)
    if getattr(args, "queries", None) is not None:
        if not 1 <= args.queries <= MAX_QUERIES:
            raise CLIError(
                f"--queries must be between 1 and {MAX_QUERIES} (exact Shapley stays cheap), got {args.queries}"
            )
        out["n_queries"] = int(args.queries)
    for opt, key in (("blocks", "n_blocks"), ("te_layers", "te_layers")):
        v = getattr(args, opt, None)
        if v is not None:
            if v < 1:
                raise CLIError(f"--{opt.replace('_', '-')} must be at least 1, got {v}")
            out[key] = int(v)
    if getattr(args, "te_positional", None):
        out["te_positional"] = args.te_positional
    return out


def ablation_suffix(overrides: dict[str, Any]) -> str:
    """A short name part for the overrides (e.g. '-s6-b4'), so ablation runs get their own pack and checkpoint."""
    short = {"n_queries": "s", "n_blocks": "b", "te_layers": "te", "beta": "beta", "gamma": "gamma"}
    parts = [f"{short[k]}{overrides[k]:g}" for k in short if k in overrides]
    if any(k in overrides for k in ("use_div", "use_alg", "use_gc")):
        parts.append("".join(["reg", *(x for x in ("div", "alg", "gc") if overrides.get(f"use_{x}"))]))
    if overrides.get("te_positional", "none") != "none":
        parts.append(f"pos{overrides['te_positional'][:3]}")
    return "".join(f"-{p}" for p in parts)


def init_parts(args: argparse.Namespace) -> tuple[str, ...] | None:
    """The --init-parts list (None: the default, the ParseFormer)."""
    raw = getattr(args, "init_parts", None)
    if not raw:
        return None
    if getattr(args, "init", None) is None:
        raise CLIError("--init-parts needs --init PACK")
    parts = tuple(s.strip() for s in raw.split(",") if s.strip())
    if parts == ("all",):
        return MODEL_PARTS
    unknown = [s for s in parts if s not in MODEL_PARTS]
    if unknown:
        raise CLIError(f"unknown part {unknown[0]!r} in --init-parts; choose 'all' or from {', '.join(MODEL_PARTS)}")
    return parts
