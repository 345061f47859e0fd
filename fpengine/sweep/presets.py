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


@dataclass(frozen=True)
class SweepPreset:
    name: str
    experiment: str
    overrides: tuple[str, ...]
    grid: tuple[str, ...]

    @property
    def description_key(self) -> str:
        return f"sweep.preset.{self.name}"

    def define(self, *, overrides: tuple[str, ...] = (), grid: tuple[str, ...] = (), seeds: int = 3) -> SweepDefinition:
        """The preset's sweep; ``overrides`` and ``grid`` options given with it replace or extend its own."""
        own_grid = {item.partition("=")[0].strip(): item for item in self.grid}
        own_grid.update({item.partition("=")[0].strip(): item for item in grid})
        return define_sweep(
            self.experiment, overrides=(*self.overrides, *overrides), grid=tuple(own_grid.values()), seeds=seeds, preset=self.name
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
            "architecture",
            "equal-amplitude",
            SMALL_FAST_NET,
            ("network.activation=tanh,relu,sigmoid", "network.widths=[64,64],[64,64,64],[64,64,64,64]"),
        ),
    )
}
