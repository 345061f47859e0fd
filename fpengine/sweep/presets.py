"""Named sweeps: the classroom notebooks' tasks and the convergence law per activation and depth.

Each is sized to finish within a few minutes on a 2-core CPU with ``--seeds 3`` (one worker):
a 64-64-64 net trains ≈1,800 steps/s on one thread, so a cell of 8,000 steps takes ≈4.5 s.
The domain [−2π, 2π] with 256 periodic samples puts ω at DFT index 2ω, so neighbouring
frequencies (1 and 2) are separate peaks of the target's spectrum and both are tracked.
"""

from __future__ import annotations

from dataclasses import dataclass

from fpengine.sweep.definition import SweepDefinition, define_sweep

SMALL_FAST_NET = (
    "grid.lo=-6.283185307179586",
    "grid.hi=6.283185307179586",
    "grid.samples=256",
    "grid.periodic=true",
    "network.widths=64,64,64",
    "training.lr=5e-4",
    "training.steps=8000",
    "spectrum.epsilon=0.1",
    "snapshot_steps=0,1000,8000",
)


LINEAR_FREQUENCIES = tuple(range(1, 11))
LINEAR_REGIME = (
    "grid.lo=-3.141592653589793",
    "grid.hi=3.141592653589793",
    "grid.samples=64",
    "grid.periodic=true",
    "target.frequencies=" + ",".join(str(k) for k in LINEAR_FREQUENCIES),
    "target.amplitudes=" + ",".join("1" for _ in LINEAR_FREQUENCIES),
    "spectrum.peaks=" + ",".join(str(k) for k in LINEAR_FREQUENCIES),
    f"spectrum.max_peaks={len(LINEAR_FREQUENCIES)}",
    "spectrum.n_freq=32",
    "spectrum.epsilon=0.1",
    "network.widths=2048",
    "network.output_init=antisymmetric",
    "training.optimizer=sgd",
    "training.lr=5e-5",
    "snapshot_steps=0",
    "theory=ntk",
)
"""The linear regime (the ``linear-regime`` preset): plain full-batch gradient descent on one hidden
layer of 2,048 units, every weight and bias ~ N(0, σ²) with σ = 1 (tanh), 2 (ReLU, init_power −0.0909) or
2048^⅓ (hat), and an antisymmetric output (``network.output_init``): the second half of the units mirrors
the first with opposite output weights, so the initial function f₀ is 0 and the residual to fit is the
target alone. The prediction r_t = (I − ηK·2/n)^t r₀ always used the real r₀ = f₀ − y, but with random
output weights f₀ has an rms of 40–55 against the target's 2.2: each frequency must then shrink ≈ 200×
rather than 10× before its relative error ΔF_ω = |f̂_ω − ŷ_ω|/|ŷ_ω| drops below ε = 0.1, and a
kernel change far below the Frobenius drift, times that large residual, moved the slow points by
×1.5–2 (measured). Without f₀ the parameters move only ≈ 0.4% (ReLU, σ = 2: the relative drift of a
homogeneous net falls as 1/σ², and its kernel grows as σ², ReLU's step 2·10⁻⁵ is a quarter-scaled 8·10⁻⁵), 1.4% (tanh),
0.02% (hat). Each step is ≈ 1/3 of the largest stable one (2ηλ_max/n ≈ 0.64–0.69 of 2 for ReLU,
0.56 for tanh, ≤ 0.6 for hat), so no step leaves the linearisation by itself. ω = 1 … 10 on 64
periodic points of [−π, π), all in one target (equal amplitudes; on a periodic grid the DFT index is ω, so every peak is
exact and tracked)."""


@dataclass(frozen=True)
class SweepPreset:
    name: str
    experiment: str
    overrides: tuple[str, ...]
    grid: tuple[str, ...]
    seeds: int = 3
    """Seeds when the command line gives no ``--seeds``."""

    @property
    def description_key(self) -> str:
        return f"sweep.preset.{self.name}"

    def define(self, *, overrides: tuple[str, ...] = (), grid: tuple[str, ...] = (), seeds: int | None = None) -> SweepDefinition:
        """The preset's sweep; ``overrides`` and ``grid`` options given with it replace or extend its own
        (``seeds``: the preset's own number when not given)."""
        own_grid = {item.partition("=")[0].strip(): item for item in self.grid}
        own_grid.update({item.partition("=")[0].strip(): item for item in grid})
        return define_sweep(
            self.experiment,
            overrides=(*self.overrides, *overrides),
            grid=tuple(own_grid.values()),
            seeds=self.seeds if seeds is None else seeds,
            preset=self.name,
        )


SWEEP_PRESETS: dict[str, SweepPreset] = {
    preset.name: preset
    for preset in (
        SweepPreset(
            "amplitude",
            "sine-fit",
            (*SMALL_FAST_NET, "target.frequencies=1,4"),
            ("target.amplitudes=[1,0.1],[1,0.2],[1,0.5],[1,1],[1,2],[1,5]",),
        ),
        SweepPreset(
            "frequency",
            "sine-fit",
            (*SMALL_FAST_NET, "target.amplitudes=1,0.2"),
            ("target.frequencies=" + ",".join(f"[1,{k}]" for k in range(2, 11)),),
        ),
        SweepPreset(
            "frequency-law",
            "sine-fit",
            (*SMALL_FAST_NET, "target.amplitudes=1"),
            ("target.frequencies=1,2,3,4,5,6,7,8", "network.activation=relu,tanh"),
        ),
        SweepPreset(
            "linear-regime",
            "sine-fit",
            LINEAR_REGIME,
            # each activation with the init scale, step and run length it needs: ReLU's law spans
            # ω = 1…10 in 25,000 steps (σ = 2 with a quarter-scaled step: the same steps, a quarter of
            # the drift); tanh converges ω ≤ 3 and then slows exponentially (the rest is censored); hat
            # units need inner weights ~ ω_max (std 2048^⅓ ≈ 12.7) to be narrower than the waves
            (
                "network.activation+network.init_power+training.lr+training.steps="
                "[relu,-0.0909,2e-5,25000],[tanh,0,1.5e-4,6000],[hat,-0.3333,5e-5,1500]",
            ),
            seeds=5,
        ),
        SweepPreset(
            "architecture",
            "equal-amplitude",
            SMALL_FAST_NET,
            ("network.activation=tanh,relu,sigmoid", "network.widths=[64,64],[64,64,64],[64,64,64,64]"),
        ),
    )
}
