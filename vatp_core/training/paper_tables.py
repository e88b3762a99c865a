"""The paper's own numbers (Gedamu et al., TCSVT 2025), transcribed from its tables, for side-by-side reports.

Spearman's ρ on the official test splits. Averages over classes are Fisher-z averages, as the paper's
Tables X and XI state. Keyed by our preset names; "baselines" are other methods the same tables list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PAPER_TABLES: dict[str, dict] = {
    "rg": {
        "tables": "Table II (components) and Table X (comparison, VST features)",
        "columns": ["Ball", "Clubs", "Hoop", "Ribbon", "Avg."],
        "presets": {
            "te": [0.765, 0.770, 0.721, 0.762, 0.754],
            "te+pd": [0.785, 0.801, 0.778, 0.769, 0.783],
            "vatp": [0.800, 0.810, 0.780, 0.769, 0.800],
        },
        "baselines": {
            "ACTION-NET (VST+ResNet)": [0.684, 0.737, 0.733, 0.754, 0.728],
            "GDLT (VST)": [0.746, 0.802, 0.765, 0.741, 0.765],
            "HGCN (VST)": [0.711, 0.789, 0.728, 0.703, 0.735],
            "CoFinAI (VST)": [0.809, 0.806, 0.804, 0.810, 0.807],
        },
        "backbone": "VST",
    },
    "fisv": {
        "tables": "Table XI",
        "columns": ["TES", "PCS", "Avg."],
        "presets": {"vatp": [0.702, 0.863, 0.796]},
        "baselines": {
            "GDLT (VST)": [0.685, 0.820, 0.761],
            "CoRe (VST)": [0.660, 0.820, 0.750],
            "SGN (VST)": [0.700, 0.830, 0.772],
            "CoFinAI (VST)": [0.716, 0.843, 0.788],
        },
        "backbone": "VST",
    },
    "mtl": {
        "tables": "Table I (components) and Table IX (comparison, with DD)",
        "columns": ["diving"],
        "presets": {"mlp": [0.9450], "te": [0.9516], "pd": [0.9454], "te+pd": [0.9531], "vatp": [0.9588]},
        "baselines": {
            "CoRe": [0.9512],
            "TAP": [0.9607],
            "FSPN": [0.9601],
            "USDL": [0.9231],
            "MUSDL": [0.9273],
            "H-GCN": [0.9563],
        },
        "backbone": "I3D",
    },
    "finefs": {
        "tables": "Table XII",
        "columns": ["SP-PCS", "SP-TES", "SP Avg.", "FS-PCS", "FS-TES", "FS Avg."],
        "presets": {"vatp": [0.809, 0.691, 0.750, 0.868, 0.721, 0.795]},
        "baselines": {
            "GDLT": [0.783, 0.644, 0.721, 0.800, 0.633, 0.727],
            "LUSD-Net": [0.813, 0.689, 0.758, 0.863, 0.779, 0.826],
        },
        "backbone": "VST",
    },
}

REPRODUCE_PRESETS: dict[str, tuple[str, ...]] = {
    "rg": ("te", "te+pd", "vatp"),
    "fisv": ("te", "te+pd", "vatp"),
    "mtl": ("mlp", "te", "pd", "te+pd", "vatp"),
    "finefs": ("te", "te+pd", "vatp"),
}


def preset_label(dataset: str, preset: str) -> str:
    bb = PAPER_TABLES[dataset]["backbone"]
    labels = {"mlp": f"{bb}+MLP", "te": f"{bb}+TE", "pd": f"{bb}+PD", "te+pd": f"{bb}+TE+PD", "vatp": "VATP-Net"}
    return {**labels, "vatp-fused": "VATP-Net (fused)"}[preset]


@dataclass(frozen=True)
class AblationRow:
    """One row of an ablation table: what the paper ran (a preset plus config overrides) and its number."""

    key: str  # unique in its table; names the run's checkpoint
    label: str  # as the paper's row reads
    preset: str
    overrides: tuple[tuple[str, Any], ...] = ()
    paper: float | None = None
    paper_params_m: float | None = None  # Table IV lists parameter counts (millions)
    note: str = ""


def _losses(div: bool, gc: bool, alg: bool) -> tuple[tuple[str, Any], ...]:
    return (("use_div", div), ("use_gc", gc), ("use_alg", alg))


# Tables I, III, IV and V (all on MTL-AQA, I3D features with the dive-number phrases), as printed.
ABLATION_TABLES: dict[str, dict[str, Any]] = {
    "I": {
        "title": "Table I: components of VATP-Net",
        "dataset": "mtl",
        "rows": (
            AblationRow("mlp", "I3D+MLP", "mlp", paper=0.9450),
            AblationRow("te", "I3D+TE", "te", paper=0.9516),
            AblationRow("pd", "I3D+PD", "pd", paper=0.9454),
            AblationRow("te+pd", "I3D+TE+PD", "te+pd", paper=0.9531),
            AblationRow("vatp", "VATP-Net (TE+PD+CD)", "vatp", paper=0.9588),
        ),
    },
    "III": {
        "title": "Table III: number S of sub-action queries",
        "dataset": "mtl",
        "rows": tuple(
            AblationRow(f"S={s}", f"VATP-Net, S = {s}", "vatp", (("n_queries", s),), paper=v)
            for s, v in zip((2, 3, 4, 5, 6), (0.9501, 0.9547, 0.9588, 0.9536, 0.9494))
        ),
    },
    "IV": {
        "title": "Table IV: number of ParseFormer decoder blocks",
        "dataset": "mtl",
        "rows": tuple(
            AblationRow(f"blocks={b}", f"VATP-Net, {b} blocks", "vatp", (("n_blocks", b),), paper=v, paper_params_m=m)
            for b, v, m in zip(
                (2, 4, 6, 8, 10), (0.9588, 0.9521, 0.953, 0.9562, 0.9521), (1.81, 2.27, 2.74, 3.20, 3.66)
            )
        ),
    },
    "V": {
        "title": "Table V: loss functions",
        "dataset": "mtl",
        "rows": (
            AblationRow("mlp", "I3D+MLP  L_reg", "mlp", paper=0.9450),
            AblationRow("te", "I3D+TE  L_reg", "te", paper=0.9516),
            AblationRow("te+pd", "I3D+TE+PD  L_reg", "te+pd", paper=0.9531),
            AblationRow("te+pd+div", "I3D+TE+PD  L_reg+L_div", "te+pd", (("use_div", True),), paper=0.9547),
            AblationRow(
                "vatp-reg",
                "VATP-Net  L_reg (fused)",
                "vatp-fused",
                _losses(False, False, False),
                paper=0.9522,
                note="the paper's text calls this row 'fusing the two sets of features': run with the fused "
                "preset, whose score head also reads the context-aware decoder's output (the dive's phrases)",
            ),
            AblationRow("vatp-div", "VATP-Net  L_reg+L_div", "vatp", _losses(True, False, False), paper=0.9540),
            AblationRow(
                "vatp-div+alg",
                "VATP-Net  L_reg+L_div (+L_alg)",
                "vatp",
                _losses(True, False, True),
                paper=0.9554,
                note="the table marks only L_reg and L_div, as on the row above; its text credits L_alg: run with it",
            ),
            AblationRow("vatp-div+gc", "VATP-Net  L_reg+L_div+L_gc", "vatp", _losses(True, True, False), paper=0.9565),
            AblationRow("vatp-gc+alg", "VATP-Net  L_reg+L_gc+L_alg", "vatp", _losses(False, True, True), paper=0.9545),
            AblationRow("vatp", "VATP-Net  all four losses", "vatp", paper=0.9588),
        ),
    },
}
TABLE_NAMES = tuple(ABLATION_TABLES)
