"""GPU and model catalogues, and tau / tau_in / forward_rps for any (GPU, model, quantisation) (SPEC 2.2).

Measured values ([BPRR], SPEC 2.2) are used where they exist: BLOOM-176B in NF4 on an A100 80GB and on an
A100 MIG 1g.10gb slice. Every other pair gets a roofline estimate scaled by efficiency factors fitted so
that the estimate reproduces those two measurements:

- decode, per block per token: ``tau = c_d + (block bytes / memory bandwidth) / e_d``;
- prefill, per block, linear in l_in: ``tau_in = c_p + (block bytes / bandwidth) / e_p
  + l_in * (2 * params / peak FLOPs) / e_c``;
- PETALS forward throughput: ``forward_rps = e_f * peak FLOPs / (2 * params)`` (tokens/s through one block).

``c_d, e_d`` and ``c_p, e_p`` solve the two anchors exactly (a GPU-independent per-block overhead plus a
bandwidth term: the MIG slice is 5x slower than the A100, not the 8x of its bandwidth). ``e_c`` and ``e_f``
are single factors, the geometric mean over the two anchors (a two-point fit of the prefill slope would need
an efficiency above 1: the MIG slope is within noise of the A100's). Every figure carries `estimated` and
`source`; see docs/catalog.md for the numbers and their provenance.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

from .errors import ScenarioError
from .perf import block_gb
from .presets import MODEL_PRESETS, PAPER_GPUS, SOURCE_BPRR
from .scenario import Linear, Model

# --------------------------------------------------------------------------- GPUs

NV_A100 = ("NVIDIA A100 Tensor Core GPU datasheet (nvidia-a100-datasheet-us-nvidia-1758950-r4-web.pdf): "
           "A100 80GB SXM, 80GB HBM2e, 2,039 GB/s, FP16/BF16 Tensor Core 312 TFLOPS dense")
NV_MIG = ("NVIDIA Multi-Instance GPU User Guide, 'Supported MIG Profiles' (docs.nvidia.com/datacenter/tesla/"
          "mig-user-guide): A100 80GB profile 1g.10gb = 1/8 of the memory and 1/7 of the SMs; bandwidth and peak "
          "taken as those fractions of the A100 80GB datasheet figures")
NV_H100 = ("NVIDIA H100 Tensor Core GPU datasheet: H100 SXM 80GB HBM3, 3.35 TB/s, FP16/BF16 Tensor Core "
           "1,979 TFLOPS with sparsity = 989.5 dense")
NV_L4 = ("NVIDIA L4 Tensor Core GPU datasheet: 24GB GDDR6, 300 GB/s, FP16/BF16 Tensor Core 242 TFLOPS with "
         "sparsity = 121 dense")
NV_T4 = ("NVIDIA T4 Tensor Core GPU datasheet: 16GB GDDR6, 320+ GB/s, mixed-precision (FP16/FP32) "
         "65 TFLOPS")
NV_3090 = ("NVIDIA Ampere GA102 GPU Architecture whitepaper, GeForce RTX 3090: 24GB GDDR6X, 936 GB/s, "
           "peak FP16 Tensor TFLOPS with FP32 accumulate 71 dense (142 with sparsity)")
NV_4090 = ("NVIDIA Ada Lovelace GPU Architecture whitepaper, GeForce RTX 4090: 24GB GDDR6X, 1,008 GB/s, "
           "peak FP16 Tensor TFLOPS with FP32 accumulate 165.2 dense (330.3 with sparsity)")
AWS_A10G = ("AWS EC2 G5 instances (A10G, 24GB GDDR6) and Baseten, 'NVIDIA A10 vs A10G for ML model "
            "inference' (600 GB/s; about 70 TFLOPS FP16 Tensor dense vs 125 for the A10); NVIDIA publishes no "
            "A10G datasheet, so the peak is the least certain number here")


@dataclass(frozen=True)
class GPU:
    """Datasheet figures of one GPU (or MIG slice); `source` cites where each number comes from."""

    key: str
    label: str
    memory_gib: float      # nominal capacity; datasheet "GB" of GPU memory are GiB
    bandwidth_gbps: float  # memory bandwidth, GB/s
    peak_tflops: float     # dense FP16/BF16 tensor peak (FP32 accumulate on GeForce cards), TFLOPS
    kind: str              # "datacenter", "consumer" or "partition"
    source: str

    @property
    def memory_gb(self) -> float:
        """Capacity in GB (1e9 bytes), the engine's memory unit."""
        return self.memory_gib * 2 ** 30 / 1e9


GPUS: dict[str, GPU] = {g.key: g for g in (
    GPU("A100", "A100 80GB", 80, 2039, 312, "datacenter", NV_A100),
    GPU("MIG", "A100 MIG 1g.10gb", 10, 2039 / 8, 312 / 7, "partition", NV_MIG),
    GPU("H100", "H100 80GB SXM", 80, 3350, 989.5, "datacenter", NV_H100),
    GPU("L4", "L4 24GB", 24, 300, 121, "datacenter", NV_L4),
    GPU("T4", "T4 16GB", 16, 320, 65, "datacenter", NV_T4),
    GPU("A10G", "A10G 24GB", 24, 600, 70, "datacenter", AWS_A10G),
    GPU("RTX3090", "GeForce RTX 3090 24GB", 24, 936, 71, "consumer", NV_3090),
    GPU("RTX4090", "GeForce RTX 4090 24GB", 24, 1008, 165.2, "consumer", NV_4090),
)}

# --------------------------------------------------------------------------- models

# Bits per weight as PETALS' get_block_size counts them (NF4 includes its block scales).
QUANT_BITS: dict[str, float] = {"fp16": 16, "bf16": 16, "int8": 8, "nf4": 4.25}
QUANT_SOURCE = "[PETALS] server/block_utils.py get_block_size: fp16/bf16 2 bytes, int8 1 byte, nf4 4.25 bits"


@dataclass(frozen=True)
class ModelSpec:
    """A catalogued model: its preset architecture, the quantisations it can be served in, and sources."""

    key: str
    label: str
    quantisations: tuple
    default_quant: str
    source: str

    @property
    def preset(self) -> Model:
        """The preset architecture (core/presets.py) in its default quantisation."""
        return MODEL_PRESETS[self.key]

    def model(self, quant: str | None = None) -> Model:
        """The model in a quantisation, as a scenario Model (preset name kept, so files round-trip)."""
        q = quant or self.default_quant
        if q not in self.quantisations:
            raise ScenarioError("quantisation", f"{self.label} is catalogued in {', '.join(self.quantisations)}; "
                                                f"got {q!r}")
        return replace(self.preset, bits_per_param=QUANT_BITS[q], name=f"{self.label} ({q.upper()})")


MODELS: dict[str, ModelSpec] = {m.key: m for m in (
    ModelSpec("bloom-176b", "BLOOM-176B", ("nf4", "int8", "bf16"), "nf4",
              "huggingface.co/bigscience/bloom config.json (70 layers, hidden 14336, 112 heads); params per "
              "block 2,466,437,120 as SPEC 2"),
    ModelSpec("llama-2-70b", "Llama-2-70B", ("nf4", "int8", "fp16"), "nf4",
              "huggingface.co/meta-llama/Llama-2-70b-hf config.json (80 layers, hidden 8192, 64 heads, 8 KV "
              "heads, intermediate 28672)"),
    ModelSpec("llama-3-8b", "Llama-3-8B", ("fp16", "int8", "nf4"), "fp16",
              "huggingface.co/meta-llama/Meta-Llama-3-8B config.json (32 layers, hidden 4096, 32 heads, 8 KV "
              "heads, intermediate 14336)"),
    ModelSpec("falcon-180b", "Falcon-180B", ("nf4", "int8", "bf16"), "nf4",
              "huggingface.co/tiiuae/falcon-180B config.json (80 layers, hidden 14848, 232 heads, 8 KV heads, "
              "parallel attention, MLP 4x hidden, no biases)"),
)}

# (gpu, model, quantisation) pairs measured by the paper's authors (SPEC 2.2)
MEASURED = {("A100", "bloom-176b", "nf4"): "A100", ("MIG", "bloom-176b", "nf4"): "MIG"}


def gpu(key: str) -> GPU:
    """A catalogued GPU by key; ScenarioError naming the known keys otherwise."""
    if key not in GPUS:
        raise ScenarioError("gpu", f"unknown GPU {key!r}; catalogued: {', '.join(GPUS)}")
    return GPUS[key]


def model_spec(key: str) -> ModelSpec:
    """A catalogued model by key; ScenarioError naming the known keys otherwise."""
    if key not in MODELS:
        raise ScenarioError("model", f"unknown model {key!r}; catalogued: {', '.join(MODELS)}")
    return MODELS[key]


# --------------------------------------------------------------------------- roofline and fit

@dataclass(frozen=True)
class Roofline:
    """Ideal times for one block on one GPU (ms) and ideal forward throughput (tokens/s)."""

    weights_ms: float          # block bytes / memory bandwidth: one decode step, memory-bound
    prefill_ms_per_token: float  # 2 * params / peak FLOPs: one prompt token, compute-bound
    tokens_per_s: float        # peak FLOPs / (2 * params)


def roofline(g: GPU, m: Model) -> Roofline:
    """Roofline times of one block of model `m` (its quantisation sets the bytes) on GPU `g`."""
    flops_per_token = 2.0 * m.params_per_block
    peak = g.peak_tflops * 1e12
    return Roofline(weights_ms=block_gb(m) / g.bandwidth_gbps * 1e3,
                    prefill_ms_per_token=flops_per_token / peak * 1e3,
                    tokens_per_s=peak / flops_per_token)


@dataclass(frozen=True)
class Fit:
    """Efficiency factors and overheads fitted to the two measured anchors (see the module docstring)."""

    decode_overhead_ms: float
    decode_eff: float
    prefill_overhead_ms: float
    prefill_weights_eff: float
    prefill_compute_eff: float
    forward_eff: float


def _two_point(r1: float, y1: float, r2: float, y2: float) -> tuple[float, float]:
    """Solve y = c + r / e through two points; returns (c, e)."""
    inv_e = (y2 - y1) / (r2 - r1)
    return y1 - r1 * inv_e, 1.0 / inv_e


def fit_efficiency() -> Fit:
    """Fit the estimator to the A100 and MIG measurements of BLOOM-176B NF4 (SPEC 2.2)."""
    bloom = MODELS["bloom-176b"].model("nf4")
    anchors = [(roofline(GPUS[k], bloom), PAPER_GPUS[k]) for k in ("A100", "MIG")]
    (ra, ma), (rm, mm) = anchors
    c_d, e_d = _two_point(ra.weights_ms, ma["tau_ms"], rm.weights_ms, mm["tau_ms"])
    c_p, e_p = _two_point(ra.weights_ms, ma["tau_in_ms"].fixed, rm.weights_ms, mm["tau_in_ms"].fixed)
    e_c = math.sqrt((ra.prefill_ms_per_token / ma["tau_in_ms"].per_token)
                    * (rm.prefill_ms_per_token / mm["tau_in_ms"].per_token))
    e_f = math.sqrt((ma["forward_rps"] / ra.tokens_per_s) * (mm["forward_rps"] / rm.tokens_per_s))
    return Fit(c_d, e_d, c_p, e_p, e_c, e_f)


FIT = fit_efficiency()

# --------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class Figure:
    """One number with its unit, whether it is an estimate, and where it comes from."""

    value: float | Linear
    unit: str
    estimated: bool
    source: str


@dataclass(frozen=True)
class Performance:
    """What a server entry needs for one (GPU, model, quantisation): every figure flagged and sourced."""

    gpu: str
    model: str
    quant: str
    memory_gb: Figure
    tau_ms: Figure
    tau_in_ms: Figure      # Linear(per_token, fixed): ms per block for a prompt of l_in tokens
    forward_rps: Figure
    max_blocks: int | None

    @property
    def estimated(self) -> bool:
        """True when any performance figure is an estimate."""
        return self.tau_ms.estimated or self.tau_in_ms.estimated or self.forward_rps.estimated


def _estimate_source(g: GPU) -> str:
    f = FIT
    return (f"estimated: roofline on {g.label} ({g.source.split(':')[0]}) scaled by efficiencies fitted to the "
            f"[BPRR] A100/MIG measurements (decode: {f.decode_overhead_ms:.3f} ms + weights/bandwidth / "
            f"{f.decode_eff:.4f}); see docs/catalog.md")


def estimate(gpu_key: str, model_key: str, quant: str | None = None) -> Performance:
    """The roofline estimate for any pair, ignoring measurements (used to check the fit against them)."""
    g, spec = gpu(gpu_key), model_spec(model_key)
    q = quant or spec.default_quant
    m = spec.model(q)
    r, f = roofline(g, m), FIT
    src = _estimate_source(g)
    tau = f.decode_overhead_ms + r.weights_ms / f.decode_eff
    tau_in = Linear(per_token=r.prefill_ms_per_token / f.prefill_compute_eff,
                    fixed=f.prefill_overhead_ms + r.weights_ms / f.prefill_weights_eff)
    return Performance(
        gpu=g.key, model=spec.key, quant=q,
        memory_gb=Figure(g.memory_gb, "GB", False, f"datasheet capacity {g.memory_gib:g} GiB: {g.source}"),
        tau_ms=Figure(tau, "ms/block/token", True, src),
        tau_in_ms=Figure(tau_in, "ms/block (per_token * l_in + fixed)", True, src),
        forward_rps=Figure(f.forward_eff * r.tokens_per_s, "tokens/s", True,
                           f"estimated: {f.forward_eff:.4f} x peak FLOPs / (2 x params per block), efficiency "
                           "fitted to the [BPRR] A100/MIG PETALS throughputs"),
        max_blocks=None)


def performance(gpu_key: str, model_key: str, quant: str | None = None) -> Performance:
    """Measured figures (SPEC 2.2) where they exist, otherwise the flagged roofline estimate."""
    est = estimate(gpu_key, model_key, quant)
    paper = PAPER_GPUS.get(est.gpu)
    # The paper's usable memory is a property of the device, whatever model it serves.
    memory = est.memory_gb if paper is None else Figure(paper["memory_gb"], "GB", False,
                                                        SOURCE_BPRR + " (usable memory)")
    key = MEASURED.get((est.gpu, est.model, est.quant))
    if key is None:
        return replace(est, memory_gb=memory)
    ref = PAPER_GPUS[key]
    return Performance(gpu=est.gpu, model=est.model, quant=est.quant, memory_gb=memory,
                       tau_ms=Figure(ref["tau_ms"], "ms/block/token", False, SOURCE_BPRR),
                       tau_in_ms=Figure(ref["tau_in_ms"], "ms/block (per_token * l_in + fixed)", False, SOURCE_BPRR),
                       forward_rps=Figure(ref["forward_rps"], "tokens/s", False,
                                          SOURCE_BPRR + " (PETALS throughput_v5.json)"),
                       max_blocks=ref["max_blocks"])


def network_rps(model: Model, bandwidth_mbps: float) -> Figure:
    """PETALS' network throughput: link bits/s over 16-bit hidden states of d_model values per token."""
    if not (isinstance(bandwidth_mbps, (int, float)) and bandwidth_mbps > 0):
        raise ScenarioError("bandwidth_mbps", f"must be a positive number of Mbit/s, got {bandwidth_mbps!r}")
    return Figure(bandwidth_mbps * 1e6 / (model.d_model * 16), "tokens/s", True,
                  f"estimated from an assumed {bandwidth_mbps:g} Mbit/s link, as [PETALS] server/throughput.py "
                  "measure_network_rps (bits per token = d_model * 16)")


def server_fields(perf: Performance, network: Figure | float | None = None) -> dict:
    """The performance part of a scenario server entry (gpu, memory_gb, tau_ms, tau_in_ms, ...)."""
    tin = perf.tau_in_ms.value
    out = {"gpu": perf.gpu, "memory_gb": perf.memory_gb.value, "tau_ms": perf.tau_ms.value,
           "tau_in_ms": {"per_token": tin.per_token, "fixed": tin.fixed} if isinstance(tin, Linear) else tin}
    if perf.max_blocks is not None:
        out["max_blocks"] = perf.max_blocks
    out["forward_rps"] = perf.forward_rps.value
    if network is not None:
        out["network_rps"] = network.value if isinstance(network, Figure) else float(network)
    elif perf.gpu in PAPER_GPUS:
        out["network_rps"] = PAPER_GPUS[perf.gpu]["network_rps"]
    return out


def table() -> list[dict]:
    """Every catalogued (GPU, model, default quantisation) pair as rows for display, figures with units."""
    rows = []
    for gk in GPUS:
        for mk, spec in MODELS.items():
            p = performance(gk, mk, spec.default_quant)
            rows.append({"gpu": GPUS[gk].label, "model": spec.label, "quant": p.quant,
                         "memory_gb": p.memory_gb.value, "tau_ms": p.tau_ms.value,
                         "tau_in_ms_per_token": p.tau_in_ms.value.per_token,
                         "tau_in_ms_fixed": p.tau_in_ms.value.fixed, "forward_rps": p.forward_rps.value,
                         "estimated": p.estimated, "source": p.tau_ms.source})
    return rows
