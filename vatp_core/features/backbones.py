"""Clip backbones behind one small interface: a spec (dims, clip length, input size, weights id) and a loader.

Backbones: torchvision Video Swin T/S/B, I3D (Inception-v1 inflated) and the small "tiny" CNN whose
weights ship inside a model pack. Every loaded module maps a normalised (B, 3, L, H, W) float batch to
one (B, feature_dim) vector per clip (average pooling, as the public features were made).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from ..errors import VATPError

if TYPE_CHECKING:
    import torch
    from torch import nn

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
INCEPTION_MEAN = (0.5, 0.5, 0.5)  # public I3D checkpoints expect RGB scaled to [-1, 1]
INCEPTION_STD = (0.5, 0.5, 0.5)


class UnknownBackboneError(VATPError):
    """A backbone name that VATP Studio does not know."""


class IncompatibleWeightsError(VATPError):
    """A weights file or state dict that does not fit the backbone it is loaded into."""


@dataclass(frozen=True)
class BackboneSpec:
    """What a backbone needs as input and gives as output."""

    name: str
    feature_dim: int
    clip_len: int
    input_size: int  # square centre crop fed to the network
    short_side: int  # frames are resized to this short side before cropping
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    weights_id: str | None  # default entry of the weights manager; None when weights ship in the pack
    ships_in_pack: bool
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


BACKBONES: dict[str, BackboneSpec] = {
    "swin3d_t": BackboneSpec(
        "swin3d_t",
        768,
        32,
        224,
        256,
        IMAGENET_MEAN,
        IMAGENET_STD,
        "swin3d_t-k400",
        False,
        "Video Swin-T (torchvision, Kinetics-400)",
    ),
    "swin3d_s": BackboneSpec(
        "swin3d_s",
        768,
        32,
        224,
        256,
        IMAGENET_MEAN,
        IMAGENET_STD,
        "swin3d_s-k400",
        False,
        "Video Swin-S (torchvision, Kinetics-400)",
    ),
    "swin3d_b": BackboneSpec(
        "swin3d_b",
        1024,
        32,
        224,
        256,
        IMAGENET_MEAN,
        IMAGENET_STD,
        "swin3d_b-k400",
        False,
        "Video Swin-B (torchvision layout; Kinetics-400, or the official Kinetics-600 checkpoint imported)",
    ),
    "i3d": BackboneSpec(
        "i3d",
        1024,
        16,
        224,
        256,
        INCEPTION_MEAN,
        INCEPTION_STD,
        "i3d-rgb-imagenet",
        False,
        "I3D, Inception-v1 inflated (public RGB checkpoint layout)",
    ),
    "tiny": BackboneSpec(
        "tiny",
        256,
        16,
        112,
        128,
        IMAGENET_MEAN,
        IMAGENET_STD,
        None,
        True,
        "small 3-D CNN, weights inside the model pack (demo, CPU-only machines)",
    ),
}
BACKBONE_NAMES = tuple(BACKBONES)


def get_backbone_spec(name: str) -> BackboneSpec:
    """The spec of a backbone by name; raises UnknownBackboneError with the valid names."""
    try:
        return BACKBONES[name]
    except KeyError:
        raise UnknownBackboneError(f"Unknown backbone {name!r}: choose one of {', '.join(BACKBONE_NAMES)}.") from None


def build_backbone_module(name: str, *, init: bool = True, device: "str | torch.device" = "cpu") -> "nn.Module":
    """A feature module for `name` mapping clips to vectors, randomly initialised (no weights loaded).

    init=False skips the random initialisation (parameters are left uninitialised, derived buffers are
    computed) for a module whose every parameter is about to be loaded: building Swin-B becomes instant.
    The tiny backbone is always built directly on ``device`` (its initialisation costs nothing, while a
    meta-device context would route every op through ``__torch_function__`` and import torch._dynamo).
    Only the big backbones import torchvision.
    """
    import torch

    spec = get_backbone_spec(name)
    if spec.name == "tiny":
        from .tiny import TinyBackbone

        return TinyBackbone(feature_dim=spec.feature_dim, device=device)
    if not init:
        with torch.device("meta"):
            module = _construct(spec)
        module = module.to_empty(device=device)
        _recompute_derived_buffers(module)
        return module
    return _construct(spec).to(device)


def _construct(spec: BackboneSpec) -> "nn.Module":
    """A Swin or I3D module on the current default device (torchvision is imported for Swin only)."""
    if spec.name.startswith("swin3d_"):
        from torch import nn
        from torchvision.models import video as tv_video

        model = getattr(tv_video, spec.name)(weights=None)
        # torchvision's forward is norm -> mean over (T', H', W') -> head; dropping the head leaves the
        # average-pooled (feature_dim,) vector per clip that the protocols expect.
        model.head = nn.Identity()
        return model
    from .i3d import InceptionI3d

    return InceptionI3d()


def _recompute_derived_buffers(module: "nn.Module") -> None:
    """Buffers that are functions of the architecture (not learned) after ``to_empty``."""
    import torch

    tables: dict[tuple[int, ...], torch.Tensor] = {}
    m: Any
    for m in module.modules():
        if hasattr(m, "define_relative_position_index"):  # torchvision Swin: window index table
            window = tuple(int(w) for w in m.window_size)
            if window not in tables:
                m.define_relative_position_index()
                tables[window] = m.relative_position_index
            else:
                m.relative_position_index = tables[window].clone()
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm) and m.num_batches_tracked is not None:
            m.num_batches_tracked.zero_()


def state_dict_hash(state: Mapping[str, "torch.Tensor"]) -> str:
    """Content hash of a state dict (names, dtypes, shapes, values), independent of the file it came from."""
    import torch

    h = hashlib.sha256()
    for key in sorted(state):
        t = state[key]
        if not isinstance(t, torch.Tensor):
            continue
        t = t.detach().to("cpu").contiguous()
        h.update(key.encode())
        h.update(str(t.dtype).encode())
        h.update(str(tuple(t.shape)).encode())
        if t.numel():
            h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()[:16]


@dataclass
class LoadedBackbone:
    """A backbone ready for extraction: spec, eval-mode module on its device, and the hash of its weights."""

    spec: BackboneSpec
    module: "nn.Module"
    weights_hash: str
    weights_source: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    weights_id: str = ""  # the weights manager's id (e.g. swin3d_b-k600-official) when installed weights were used

    @property
    def device(self) -> "torch.device":
        import torch

        for p in self.module.parameters():
            return p.device
        return torch.device("cpu")

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def feature_dim(self) -> int:
        return self.spec.feature_dim

    def identity(self) -> dict[str, str]:
        """Which backbone and weights made a set of features (recorded in ``extraction.json``)."""
        return {
            "backbone": self.spec.name,
            "weights_id": self.weights_id,
            "weights_hash": self.weights_hash,
            "weights_source": self.weights_source,
        }

    def state_dict(self) -> dict[str, "torch.Tensor"]:
        """The weights on the CPU, e.g. for storing the tiny backbone inside a model pack."""
        return {k: v.detach().to("cpu") for k, v in self.module.state_dict().items()}


def load_backbone(
    name: str,
    weights: "Path | str | Mapping[str, torch.Tensor] | None" = None,
    device: "str | torch.device" = "auto",
    *,
    weights_hash: str | None = None,
    random_init: bool = False,
    seed: int = 0,
    prefer_weights: str | None = None,
) -> LoadedBackbone:
    """Build `name`, load its weights and move it to `device` in eval mode.

    weights: a file (a torchvision .pth, a public I3D / official Video Swin checkpoint, a .safetensors), a
    state dict, or None to use the file installed by the weights manager (the one whose hash is
    `weights_hash` when given; among several, ``prefer_weights`` first, e.g. the id
    `known_weights.preferred_weights_id` gives for a protocol). Missing weights raise MissingWeightsError naming the
    file and the folder, before anything heavy is built. random_init=True builds seeded random weights.
    """
    from . import checkpoints
    from . import weights as wm

    spec = get_backbone_spec(name)
    source = ""
    known_hash: str | None = None
    weights_id = ""
    if weights is None and not random_init:
        # before importing torch or building anything: a missing file is reported at once
        installed = wm.find_installed(spec.name, weights_hash=weights_hash, prefer=prefer_weights)
        weights, known_hash, source = installed.path, installed.state_hash, f"installed:{installed.path.name}"
        weights_id = installed.id

    import torch

    from ..devices import resolve_device

    dev = resolve_device(device)
    if random_init and weights is None:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            # seeded on the CPU generator: the same random weights whatever the device
            module = build_backbone_module(spec.name).to(dev)
        source = f"random(seed={seed})"
    else:
        module = build_backbone_module(spec.name, init=False, device=dev)  # every parameter is loaded below
        if isinstance(weights, (str, Path)):
            source = source or f"file:{Path(weights).name}"
            state = checkpoints.read_state_file(Path(weights))
        else:
            source = source or "state_dict"
            state = dict(weights or {})
        state = checkpoints.adapt_state_dict(spec.name, state)
        load_into(module, state, spec.name)
    module.eval().requires_grad_(False)
    digest = known_hash or state_dict_hash(module.state_dict())
    if weights_hash is not None and digest != weights_hash:
        raise IncompatibleWeightsError(
            f"The {spec.name} weights loaded (hash {digest}) are not the ones expected (hash {weights_hash})."
        )
    module.to(dev)  # a no-op for modules built there; buffers a loaded state left elsewhere follow
    return LoadedBackbone(spec=spec, module=module, weights_hash=digest, weights_source=source, weights_id=weights_id)


def load_into(module: "nn.Module", state: Mapping[str, "torch.Tensor"], name: str) -> None:
    """Strictly load a state dict, filling only non-learned buffers the file lacks; clear error otherwise."""
    own = module.state_dict()
    state = dict(state)
    for key, value in own.items():
        if key not in state and (key.endswith("relative_position_index") or key.endswith("num_batches_tracked")):
            state[key] = value  # derived buffers, recomputed identically by the module
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    wrong = [k for k in own if k in state and tuple(state[k].shape) != tuple(own[k].shape)]
    if missing or unexpected or wrong:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing (e.g. {missing[0]})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected (e.g. {unexpected[0]})")
        if wrong:
            k = wrong[0]
            parts.append(
                f"{len(wrong)} of the wrong shape (e.g. {k}: {tuple(state[k].shape)} vs {tuple(own[k].shape)})"
            )
        raise IncompatibleWeightsError(
            f"These weights do not fit the {name} backbone: " + "; ".join(parts) + " parameters."
        )
    module.load_state_dict(state, strict=True)
