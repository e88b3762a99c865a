"""Drop-DTW (Dvornik et al., NeurIPS 2021): order-preserving alignment of K steps to N items with drops.

VATP-Net uses it twice: in training to find which sub-action vectors correspond to which phrase vectors
(L_alg, Eq. 7), and at inference to turn the ParseFormer's attention into contiguous, ordered segments.

Rules of a valid labelling (one label per item, -1 = dropped, else the step index 0..K-1):
every step is matched to at least one item; labels of matched items never decrease along the items;
the items of one step are contiguous (no dropped item between two items of the same step).
Its cost is the sum of ``match_costs[label, item]`` over matched items plus ``drop_costs[item]`` over
dropped ones. The dynamic programme below finds a labelling of minimum cost exactly.

The table is D[z, x, s] for z steps used, x items seen, and s the state of item x (0 = matched to step z,
1 = dropped); D[0, 0, dropped] = 0 and
    D[z, x, match] = c[z, x] + min(D[z-1, x-1, ·], D[z, x-1, match])
    D[z, x, drop]  = d[x] + min(D[z, x-1, ·]).
The batched version loops over the items x only: each column of the table, for every step and every
video of the batch, is one set of numpy operations.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["AlignmentError", "drop_dtw", "drop_dtw_batch", "labels_cost", "drop_cost_from_percentile"]

_MATCH, _DROP = 0, 1
# back-pointer codes
_FROM_PREV_STEP_MATCH, _FROM_PREV_STEP_DROP, _FROM_SAME_STEP_MATCH = 0, 1, 2
_FROM_MATCH, _FROM_DROP = 0, 1


class AlignmentError(ValueError):
    """The alignment problem has no valid solution or malformed inputs (e.g. more steps than items)."""


def _to_numpy(a: Any, name: str) -> np.ndarray:
    """Accept numpy arrays, torch tensors (any device, with grad) and nested lists; return float64."""
    if hasattr(a, "detach") and hasattr(a, "cpu"):  # torch.Tensor, without importing torch here
        a = a.detach().cpu().double().numpy()
    arr = np.asarray(a, dtype=np.float64)
    if np.isnan(arr).any():
        raise AlignmentError(f"{name} contains NaN")
    return arr


def drop_dtw_batch(
    match_costs: Any,
    drop_costs: Any,
    k_valid: Any = None,
    n_valid: Any = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Align each video of a batch: match_costs (B, K, N), drop_costs (B, N) → (costs (B,), labels (B, N)).

    ``k_valid`` / ``n_valid`` (B,) give the real number of steps / items of each video when the arrays are
    padded; labels of padded items are -1. Raises AlignmentError when a video has more steps than items.
    """
    c = _to_numpy(match_costs, "match_costs")
    d = _to_numpy(drop_costs, "drop_costs")
    if c.ndim != 3:
        raise AlignmentError(f"match_costs must be (B, K, N), got shape {c.shape}")
    b, k_max, n_max = c.shape
    if d.shape != (b, n_max):
        raise AlignmentError(f"drop_costs must be (B, N) = {(b, n_max)}, got shape {d.shape}")
    kv = (
        np.full(b, k_max, dtype=np.int64)
        if k_valid is None
        else _to_numpy(k_valid, "k_valid").astype(np.int64).reshape(b)
    )
    nv = (
        np.full(b, n_max, dtype=np.int64)
        if n_valid is None
        else _to_numpy(n_valid, "n_valid").astype(np.int64).reshape(b)
    )
    if (kv < 0).any() or (kv > k_max).any() or (nv < 0).any() or (nv > n_max).any():
        raise AlignmentError("k_valid / n_valid out of range of the padded arrays")
    bad = np.nonzero(kv > nv)[0]
    if bad.size:
        i = int(bad[0])
        raise AlignmentError(
            f"cannot align {int(kv[i])} steps to {int(nv[i])} items (video {i}): every step needs at least one item"
        )
    # Padded entries may hold anything (even inf); they never reach a valid cell, but keep them finite.
    c = np.where(np.isfinite(c), c, np.where(c > 0, 1e300, -1e300))
    d = np.where(np.isfinite(d), d, np.where(d > 0, 1e300, -1e300))

    inf = np.inf
    D = np.full((k_max + 1, n_max + 1, 2, b), inf)
    bp_match = np.zeros((k_max + 1, n_max + 1, b), dtype=np.int8)
    bp_drop = np.zeros((k_max + 1, n_max + 1, b), dtype=np.int8)
    D[0, 0, _DROP] = 0.0
    cT = np.moveaxis(c, 0, -1)  # (K, N, B)
    dT = np.moveaxis(d, 0, -1)  # (N, B)
    # Column x depends only on column x-1, so each column is computed for all steps and videos at once.
    for x in range(1, n_max + 1):
        prev = D[:, x - 1]  # (K+1, 2, B)
        if k_max:
            cands = np.stack([prev[:-1, _MATCH], prev[:-1, _DROP], prev[1:, _MATCH]])  # (3, K, B)
            arg = np.argmin(cands, axis=0)
            D[1:, x, _MATCH] = cT[:, x - 1] + np.take_along_axis(cands, arg[None], 0)[0]
            bp_match[1:, x] = arg
        arg = np.argmin(prev, axis=1)  # (K+1, B)
        D[:, x, _DROP] = dT[x - 1][None] + np.take_along_axis(prev, arg[:, None], 1)[:, 0]
        bp_drop[:, x] = arg

    costs = np.empty(b)
    labels = np.full((b, n_max), -1, dtype=np.int64)
    for i in range(b):
        z, x = int(kv[i]), int(nv[i])
        final = D[z, x, :, i]
        state = int(np.argmin(final))
        costs[i] = final[state]
        if not np.isfinite(costs[i]):
            raise AlignmentError(f"no valid alignment for video {i}")
        while x > 0:
            if state == _MATCH:
                labels[i, x - 1] = z - 1
                code = bp_match[z, x, i]
                if code == _FROM_PREV_STEP_MATCH:
                    z, state = z - 1, _MATCH
                elif code == _FROM_PREV_STEP_DROP:
                    z, state = z - 1, _DROP
                else:
                    state = _MATCH
            else:
                state = _MATCH if bp_drop[z, x, i] == _FROM_MATCH else _DROP
            x -= 1
    return costs, labels


def drop_dtw(match_costs: Any, drop_costs: Any) -> tuple[float, np.ndarray]:
    """Align K steps to N items: match_costs (K, N), drop_costs (N,) → (optimal cost, labels (N,) in -1..K-1)."""
    c = _to_numpy(match_costs, "match_costs")
    d = _to_numpy(drop_costs, "drop_costs")
    if c.ndim != 2:
        raise AlignmentError(f"match_costs must be (K, N), got shape {c.shape}")
    if d.ndim == 0:
        d = np.full(c.shape[1], float(d))
    if d.shape != (c.shape[1],):
        raise AlignmentError(f"drop_costs must have {c.shape[1]} entries, got shape {d.shape}")
    costs, labels = drop_dtw_batch(c[None], d[None])
    return float(costs[0]), labels[0]


def labels_cost(match_costs: Any, drop_costs: Any, labels: Any) -> float:
    """Cost of a given labelling (for checks): matched match costs plus dropped drop costs."""
    c = _to_numpy(match_costs, "match_costs")
    d = _to_numpy(drop_costs, "drop_costs")
    lab = np.asarray(labels, dtype=np.int64)
    matched = lab >= 0
    idx = np.arange(lab.size)
    return float(c[lab[matched], idx[matched]].sum() + d[~matched].sum())


def drop_cost_from_percentile(match_costs: Any, keep_percentile: float = 0.3) -> float:
    """Drop cost as a percentile of the match costs: roughly the cheapest `keep_percentile` of pairs beat a drop."""
    if not 0.0 <= keep_percentile <= 1.0:
        raise AlignmentError(f"keep_percentile must be in [0, 1], got {keep_percentile}")
    c = _to_numpy(match_costs, "match_costs")
    return float(np.quantile(c, keep_percentile))
