"""`vatp model info`: trainable parameters of VATP-Net (backbone excluded), whole and per part."""

from __future__ import annotations

import argparse
import json

from . import CLIError

PRESET_NAMES = (
    "mlp",
    "te",
    "pd",
    "te+pd",
    "vatp",
    "vatp-fused",
)  # = vatp_core.model.PRESETS (kept here: no torch import)
# Paper Table IV: parameters (M) of the full model by number of ParseFormer blocks.
PAPER_PARAMS_M = {2: 1.81, 4: 2.27, 6: 2.74, 8: 3.20, 10: 3.66}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("model", help="inspect the VATP-Net architecture (parameter counts)")
    msub = p.add_subparsers(dest="model_command", metavar="ACTION")
    info = msub.add_parser("info", help="trainable parameter count of the whole model and of each part")
    info.add_argument("--preset", default="vatp", choices=PRESET_NAMES, help="ablation preset (default vatp)")
    info.add_argument("--blocks", type=int, default=None, help="number of ParseFormer decoder blocks (default 2)")
    info.add_argument("--queries", type=int, default=None, help="number S of learnable queries (default 4)")
    info.add_argument("--in-dim", type=int, default=None, help="backbone feature size (default 1024)")
    info.add_argument("--json", action="store_true", help="print a JSON object with 'total' and 'parts'")
    info.set_defaults(func=run)
    p.set_defaults(func=_no_action, _parser=p)


def _no_action(args: argparse.Namespace) -> int:
    args._parser.print_help()
    return 0


def model_info(
    preset: str = "vatp", blocks: int | None = None, queries: int | None = None, in_dim: int | None = None
) -> dict:
    """Build the model for a preset and report its parameter counts (used by the CLI and tests)."""
    from ..model import PART_DESCRIPTIONS, VATPConfig, VATPNet, count_parameters

    overrides = {k: v for k, v in (("n_blocks", blocks), ("n_queries", queries), ("in_dim", in_dim)) if v is not None}
    try:
        cfg = VATPConfig.preset(preset, **overrides)
    except ValueError as exc:
        raise CLIError(str(exc)) from exc
    model = VATPNet(cfg)
    counts = count_parameters(model)
    total = counts.pop("total")
    details: dict[str, int] = {}
    if model.parseformer is not None:
        pf = model.parseformer
        details["parseformer.queries"] = pf.queries.numel()
        details["parseformer.block (each)"] = sum(p.numel() for p in pf.blocks[0].parameters())
        details["parseformer.blocks"] = len(pf.blocks)
        details["parseformer.final_norm"] = sum(p.numel() for p in pf.norm.parameters())
        details["parseformer.tau"] = pf.tau.numel()
    result = {
        "preset": preset,
        "config": {
            k: cfg.to_dict()[k]
            for k in (
                "in_dim",
                "hidden_dim",
                "d_model",
                "n_heads",
                "ffn_dim",
                "n_queries",
                "n_blocks",
                "te_layers",
                "cd_blocks",
                "text_dim",
            )
        },
        "total": total,
        "total_millions": round(total / 1e6, 3),
        "parts": counts,
        "part_descriptions": {k: PART_DESCRIPTIONS[k] for k in counts if k in PART_DESCRIPTIONS},
        "details": details,
    }
    n_blocks = cfg.n_blocks
    if cfg.use_fusion:
        details["score_head.fusion"] = cfg.d_model * cfg.d_model
    if preset == "vatp" and cfg.in_dim == 1024 and cfg.n_queries == 4 and n_blocks in PAPER_PARAMS_M:
        paper = PAPER_PARAMS_M[n_blocks]
        result["paper_millions"] = paper
        result["paper_relative_difference"] = round(abs(total / 1e6 - paper) / paper, 5)
    return result


def run(args: argparse.Namespace) -> int:
    if args.blocks is not None and args.blocks < 1:
        raise CLIError("--blocks must be at least 1")
    if args.queries is not None and args.queries < 1:
        raise CLIError("--queries must be at least 1")
    info = model_info(args.preset, args.blocks, args.queries, args.in_dim)
    if args.json:
        print(json.dumps(info, indent=2, ensure_ascii=False))
        return 0
    c = info["config"]
    print(
        f"VATP-Net, preset {info['preset']}: {info['total']:,} trainable parameters "
        f"({info['total_millions']:.2f} M, backbone excluded)"
    )
    shape = f"  input {c['in_dim']} → hidden {c['hidden_dim']} → d={c['d_model']}"
    if "temporal_encoder" in info["parts"] or "parseformer" in info["parts"]:
        shape += f", {c['n_heads']} heads, FFN {c['ffn_dim']}"
    if "parseformer" in info["parts"]:
        shape += f", S={c['n_queries']} queries, {c['n_blocks']} ParseFormer blocks"
    else:
        shape += ", clips mean-pooled into the score head (no sub-actions)"
    print(shape)
    width = max(len(k) for k in info["parts"])
    for name, n in info["parts"].items():
        print(f"  {name:<{width}}  {n:>10,}  {info['part_descriptions'].get(name, '')}")
    for name, n in info["details"].items():
        print(f"    {name:<{width + 12}}  {n:>8,}")
    if "paper_millions" in info:
        print(
            f"  paper (Table IV): {info['paper_millions']:.2f} M; difference "
            f"{100 * info['paper_relative_difference']:.2f}%"
        )
    return 0
