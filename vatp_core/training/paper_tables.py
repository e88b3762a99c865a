"""The paper's own numbers (Gedamu et al., TCSVT 2025), transcribed from its tables, for side-by-side reports.

Spearman's ρ on the official test splits. Averages over classes are Fisher-z averages, as the paper's
Tables X and XI state. Keyed by our preset names; "baselines" are other methods the same tables list.
"""

from __future__ import annotations

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
    return {"mlp": f"{bb}+MLP", "te": f"{bb}+TE", "pd": f"{bb}+PD", "te+pd": f"{bb}+TE+PD", "vatp": "VATP-Net"}[preset]
