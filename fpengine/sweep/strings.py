"""Strings of the sweep figures: convergence step against frequency, and Spearman ρ per grid cell."""

STRINGS: dict[str, tuple[str, str]] = {
    "sweep.convergence.title": ("Convergence step against frequency", "收敛步数与频率的关系"),
    "sweep.frequency": ("Frequency ω", "频率 ω"),
    "sweep.step": ("Convergence step t", "收敛步数 t"),
    "sweep.settings": ("Settings", "设置"),
    "sweep.all_cells": ("all cells", "全部单元"),
    "sweep.curve": ("Curve", "曲线"),
    "sweep.curve.median": ("median over seeds", "各种子的中位数"),
    "sweep.curve.power": ("power law t = A·ω^p", "幂律 t = A·ω^p"),
    "sweep.curve.exponential": ("exponential t = A·e^(cω)", "指数律 t = A·e^(cω)"),
    "sweep.seed": ("Seed", "种子"),
    "sweep.never_converged": (
        "(seed, ω) pairs that never converged: {count} (hollow triangles along the top)",
        "从未收敛的（种子, ω）组合：{count} 个（顶部的空心三角）",
    ),
    "sweep.all_converged": ("Every tracked (seed, ω) converged", "所有跟踪的（种子, ω）组合均已收敛"),
    "sweep.zero_frequency": (
        "Points not drawn (ω ≤ 0 or t ≤ 0 have no place on a log axis): {count}",
        "未画出的点（ω ≤ 0 或 t ≤ 0 无法画在对数轴上）：{count} 个",
    ),
    "sweep.excluded": ("Unfinished cells left out: {count}", "未计入的未完成单元：{count} 个"),
    "sweep.summary": ("{group}: p = {power}, c = {rate}; closer fit: {better}", "{group}：p = {power}，c = {rate}；更贴合：{better}"),
    "sweep.law.power": ("power law", "幂律"),
    "sweep.law.exponential": ("exponential", "指数律"),
    "sweep.law.undecided": ("undecided", "无法判断"),
    "sweep.law.missing": ("not fitted", "未拟合"),
    "sweep.spearman.title": ("Spearman ρ per grid cell", "各网格单元的 Spearman ρ"),
    "sweep.spearman": ("Spearman ρ (frequency vs convergence step)", "Spearman ρ（频率与收敛步数）"),
    "sweep.cell": ("Grid cell", "网格单元"),
    "sweep.median": ("Median", "中位数"),
    "sweep.spearman.subtitle": (
        "Points: seeds · dark tick: median over seeds · ρ = 1 means strictly low frequencies first",
        "点：各种子 · 深色竖线：各种子的中位数 · ρ = 1 表示严格地先低频后高频",
    ),
    "sweep.spearman.missing": ("Cells without a Spearman ρ: {count}", "没有 Spearman ρ 的单元：{count} 个"),
    # the sweep presets (fpengine/sweep/presets.py)
    "sweep.preset.amplitude": (
        "sin x + a·sin 4x for a = 0.1 … 5: does the high frequency still converge later when it is the larger component?",
        "sin x + a·sin 4x，a = 0.1 … 5：高频分量更大时，它是否仍然更晚收敛？",
    ),
    "sweep.preset.frequency": (
        "sin x + 0.2·sin kx for k = 2 … 10: how much later does the k component converge as k grows?",
        "sin x + 0.2·sin kx，k = 2 … 10：k 越大，k 分量晚多少收敛？",
    ),
    "sweep.preset.frequency-law": (
        "single sines sin kx, k = 1 … 8, ReLU and tanh: is the slowing a power law or exponential per activation?",
        "单个正弦 sin kx，k = 1 … 8，ReLU 与 tanh：每种激活函数的变慢是幂律还是指数？",
    ),
    "sweep.preset.architecture": (
        "activation × depth on the Fig 1.6 target: ρ and convergence steps per network",
        "激活函数 × 深度，图 1.6 的目标函数：每种网络的 ρ 与收敛步数",
    ),
}
