"""Calibrated constants and model presets, each with its source (SPEC 2.2; [BPRR] measurements).

The GPU and model catalogues with roofline estimates live in core/catalog.py; this module holds only the
numbers the paper's authors measured, which the `paper` preset and reference mode use as they are.
"""
from __future__ import annotations

from .scenario import Linear, Model

SOURCE_BPRR = "[BPRR] Sun et al., arXiv 2512.21884, measured on BLOOM-176B NF4 (SPEC 2.2)"

# BLOOM-176B in NF4: 2,466,437,120 params per block, 4.25 bits (NF4 incl. scales, as PETALS measures).
BLOOM_176B = Model(name="BLOOM-176B (NF4)", n_blocks=70, d_model=14336, params_per_block=2_466_437_120,
                   bits_per_param=4.25, kv_bytes=2, kv_groups=1, preset="bloom-176b")

# Architectures from each model's Hugging Face config.json; params_per_block counts one decoder layer's weights
# (attention, MLP and norms). kv_groups = attention heads / key-value heads (grouped-query attention).
# Llama-2-70B: 80 layers, d_model 8192, 64 heads / 8 KV heads, MLP 28672 (SwiGLU): 855,654,400 params.
LLAMA_2_70B = Model(name="Llama-2-70B (NF4)", n_blocks=80, d_model=8192, params_per_block=855_654_400,
                    bits_per_param=4.25, kv_bytes=2, kv_groups=8, preset="llama-2-70b")
# Llama-3-8B: 32 layers, d_model 4096, 32 heads / 8 KV heads, MLP 14336 (SwiGLU): 218,112,000 params.
LLAMA_3_8B = Model(name="Llama-3-8B (FP16)", n_blocks=32, d_model=4096, params_per_block=218_112_000,
                   bits_per_param=16, kv_bytes=2, kv_groups=4, preset="llama-3-8b")
# Falcon-180B: 80 layers, d_model 14848, 232 heads / 8 KV heads, MLP 4 x d_model, parallel attention,
# two LayerNorms with bias, no linear biases: 2,219,894,784 params.
FALCON_180B = Model(name="Falcon-180B (NF4)", n_blocks=80, d_model=14848, params_per_block=2_219_894_784,
                    bits_per_param=4.25, kv_bytes=2, kv_groups=29, preset="falcon-180b")

MODEL_PRESETS: dict[str, Model] = {"bloom-176b": BLOOM_176B, "llama-2-70b": LLAMA_2_70B, "llama-3-8b": LLAMA_3_8B,
                                   "falcon-180b": FALCON_180B}

# Measured GPU figures for BLOOM-176B NF4 (SPEC 2.2). tau: ms per block per token (decode);
# tau_in: ms per block for the whole prompt, linear in l_in; memory: usable GB; PETALS throughputs in tok/s.
PAPER_GPUS: dict[str, dict] = {
    "A100": {"memory_gb": 86.13, "tau_ms": 3.2197, "tau_in_ms": Linear(0.0743, 32.99),
             "forward_rps": 20829.38146541331, "network_rps": 3020.3700586885343, "max_blocks": None,
             "label": "A100 80GB", "source": SOURCE_BPRR},
    "MIG": {"memory_gb": 9.1, "tau_ms": 16.2488, "tau_in_ms": Linear(0.1041, 206.3547),
            "forward_rps": 2757.7243405599083, "network_rps": 3138.1039624670034, "max_blocks": 4,
            "label": "A100 MIG 1g.10gb", "source": SOURCE_BPRR},
}

# Delays calibrated to the authors' PETALS runs (SPEC 2.2), all in ms.
PAPER_DELAYS = {
    "per_token_overhead_ms": (100.0, SOURCE_BPRR),
    "prefill_overhead_ms": (Linear(0.7049, 67.0), SOURCE_BPRR + ": 0.7049 * l_in + 67"),
    "initial_delay_ms": (70.0, SOURCE_BPRR),
    "alloc_delay_proposed_ms": (60_000.0, SOURCE_BPRR),
    "alloc_delay_petals_ms": (250_000.0, SOURCE_BPRR),
    "petals_overhead_ms": (18.0, "[PETALS] routing serialisation term, as calibrated in [BPRR]"),
    "petals_penalty_ms": (10_000.0, "[PETALS] penalty for a server without free cache, as in [BPRR]"),
}
