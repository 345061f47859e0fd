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
    # refusals of a sweep definition or run (SweepError); {error} is the underlying refusal, in the same language
    "sweep.error.at": ("{where}: {error}", "{where}：{error}"),
    "sweep.error.setting": ("{error}", "{error}"),
    "sweep.error.unbalanced": ("unbalanced {bracket!r} in {text!r}", "{text!r} 中的 {bracket!r} 不成对"),
    "sweep.error.grid_form": ("--grid {item!r}: expected KEY=V1,V2,…", "--grid {item!r}：应为 KEY=V1,V2,…"),
    "sweep.error.empty_value": (
        "--grid {setting}: empty value in {text!r} (values are separated by commas; a list value goes in brackets, e.g. [1,4],[1,5])",
        "--grid {setting}：{text!r} 中有空值（各值以逗号分隔；列表值放在方括号中，例如 [1,4],[1,5]）",
    ),
    "sweep.error.value_twice": ("--grid {setting}: a value is listed twice in {text!r}", "--grid {setting}：{text!r} 中有值重复列出"),
    "sweep.error.set_form": ("--set {item!r}: expected KEY=VALUE", "--set {item!r}：应为 KEY=VALUE"),
    "sweep.error.not_definition": ("not a sweep definition ({reason})", "不是扫描定义（{reason}）"),
    "sweep.error.seeds": ("--seeds must be between 1 and {most} (got {seeds})", "--seeds 须在 1 与 {most} 之间（收到 {seeds}）"),
    "sweep.error.file_seeds": (
        "{path}: between 1 and {most} seeds, please (got {seeds})",
        "{path}：种子数须在 1 与 {most} 之间（收到 {seeds}）",
    ),
    "sweep.error.base_config": ("{path}: base_config: {error}", "{path}：base_config：{error}"),
    "sweep.error.grid_twice": ("--grid {setting} is given twice", "--grid {setting} 给出了两次"),
    "sweep.error.grid_seed": (
        "--grid seed: use --seeds N (the seeds are every cell's last axis)",
        "--grid seed：请用 --seeds N（种子是每个单元的最后一个维度）",
    ),
    "sweep.error.too_many_cells": (
        "the sweep has {size:,} cells ({grid}{seeds} seeds); at most {most:,} run in one sweep",
        "该扫描有 {size:,} 个单元（{grid}{seeds} 个种子）；一次扫描最多运行 {most:,} 个",
    ),
    "sweep.error.grid_value": ("--grid {setting}={value}: {error}", "--grid {setting}={value}：{error}"),
    "sweep.error.cell": ("cell {where}: {error}", "单元 {where}：{error}"),
    "sweep.error.base_cell": ("cell the base config: {error}", "单元（基础配置）：{error}"),
    "sweep.error.not_sweepable": (
        "{name!r} is neither a sweep preset nor an experiment a sweep can run (experiments: {experiments})",
        "{name!r} 既不是扫描预设，也不是可扫描的实验（可扫描的实验：{experiments}）",
    ),
    "sweep.error.workers": ("--workers must be between 1 and {most} (got {count})", "--workers 须在 1 与 {most} 之间（收到 {count}）"),
    "sweep.error.no_distributed": (
        "scheduler {address}: a Dask cluster needs dask's distributed package (pip install distributed)",
        "调度器 {address}：Dask 集群需要 dask 的 distributed 包（pip install distributed）",
    ),
    "sweep.error.unreachable": (
        "scheduler {address} (--scheduler or DASK_SCHEDULER_ADDRESS): cannot reach the Dask scheduler ({reason})",
        "调度器 {address}（--scheduler 或 DASK_SCHEDULER_ADDRESS）：无法连接 Dask 调度器（{reason}）",
    ),
    "sweep.error.no_workers": (
        "scheduler {address} (--scheduler or DASK_SCHEDULER_ADDRESS): the scheduler has no workers",
        "调度器 {address}（--scheduler 或 DASK_SCHEDULER_ADDRESS）：该调度器没有工作进程",
    ),
    "sweep.error.other_experiment": (
        "--out: {path!r} holds a sweep with another experiment; rerun it with its own settings to resume it, or choose a new folder",
        "--out：{path!r} 中是另一个实验的扫描；请用它自己的设置重新运行以继续，或换一个新文件夹",
    ),
    "sweep.error.other_base_config": (
        "--out: {path!r} holds a sweep with another base config (--set, --steps or preset); "
        "rerun it with its own settings to resume it, or choose a new folder",
        "--out：{path!r} 中是基础配置（--set、--steps 或预设）不同的扫描；请用它自己的设置重新运行以继续，或换一个新文件夹",
    ),
    "sweep.error.complete_definition": (
        "{option}: a sweep.json is a complete definition; change it there, or start from a preset",
        "{option}：sweep.json 已是完整的定义；请在其中修改，或从预设开始",
    ),
    "sweep.error.device": (
        "--device: unknown device {choice!r} (choose from {choices})",
        "--device：未知设备 {choice!r}（可选 {choices}）",
    ),
    "sweep.error.cannot_write": (
        "--out: cannot write the sweep into {path!r} ({reason}); the cells finished so far are kept",
        "--out：无法把扫描写入 {path!r}（{reason}）；已完成的单元均已保留",
    ),
}
