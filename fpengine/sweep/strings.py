"""Strings of the sweeps: their figures (convergence step against frequency, Spearman ρ per grid cell,
ΔF per cell), presets and refusals, and the Lab page."""

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
    "sweep.curve.fit": ("fitted law (measured)", "拟合规律（实测）"),
    "sweep.curve.predicted": ("NTK prediction (median)", "NTK 预测（中位数）"),
    "sweep.curve.predicted_fit": ("fitted law (predicted)", "拟合规律（预测）"),
    "sweep.law.indistinguishable": ("indistinguishable", "无法区分"),
    "sweep.law.censored": ("; {count} never converged (censored)", "；{count} 个未收敛（删失）"),
    "sweep.law.slopes": ("p = {power}, c = {rate}", "p = {power}，c = {rate}"),
    "sweep.summary.predicted": ("; NTK prediction: {law}", "；NTK 预测：{law}"),
    "sweep.summary.ratio": ("; measured/predicted {median} ({low}–{high})", "；实测/预测 {median}（{low}–{high}）"),
    "sweep.summary.drift": ("; parameter drift ≤ {drift}", "；参数漂移 ≤ {drift}"),
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
    "sweep.preset.linear-regime": (
        "the law where the theory holds: plain gradient descent, one hidden layer of 2,048 units with a large init "
        "(std 1; ReLU std 2) and an antisymmetric output (mirrored pairs of units with opposite output weights: the "
        "network starts at f = 0, so the residual is the target alone), so the parameters move ≤ 1% and the network "
        "stays near its linearisation; a step ≈ 1/3 of the largest stable one; sin kx for k = 1 … 10 in one target; "
        "ReLU (theory: t ∝ k²), tanh (exponential) and hat with narrow units (std 2048^⅓; no spectral bias) as a "
        "negative control; measured beside the NTK prediction",
        "理论成立之处的规律：普通梯度下降，单隐藏层 2048 个单元，较大的初始化（标准差 1；ReLU 为 2），输出反对称"
        "（成对镜像的单元、输出权重相反：网络从 f = 0 出发，残差就是目标本身），参数只移动 ≤ 1%，网络保持在其线性化附近；"
        "步长约为最大稳定步长的 1/3；一个目标中含 sin kx，k = 1 … 10；ReLU（理论：t ∝ k²）、tanh（指数）以及单元很窄的 hat"
        "（标准差 2048^⅓；无频谱偏好）作为阴性对照；实测与 NTK 预测并列",
    ),
    "sweep.preset.architecture": (
        "activation × depth on the Fig 1.6 target: ρ and convergence steps per network",
        "激活函数 × 深度，图 1.6 的目标函数：每种网络的 ρ 与收敛步数",
    ),
    # refusals of a sweep definition or run (SweepError); {error} is the underlying refusal, in the same language
    "sweep.error.at": ("{where}: {error}", "{where}：{error}"),
    "sweep.error.server_folder": (
        "The server cannot save sweeps: its runs folder ({where}) is not usable: {error}. Tell whoever runs the server.",
        "服务器无法保存扫描：它的运行文件夹（{where}）不可用：{error}。请告知服务器管理员。",
    ),
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
    "sweep.error.file_experiment": (
        '{path}: "experiment" must be an experiment\'s name (text), not {got}',
        '{path}："experiment" 须为实验名称（文本），而不是 {got}',
    ),
    "sweep.error.file_base_config": (
        '{path}: "base_config" must be an object of settings, not {got}',
        '{path}："base_config" 须为设置组成的对象，而不是 {got}',
    ),
    "sweep.error.file_grid": (
        '{path}: "grid" must be an object of settings and their lists of values, not {got}',
        '{path}："grid" 须为设置及其取值列表组成的对象，而不是 {got}',
    ),
    "sweep.error.file_grid_list": (
        "{path}: grid {setting} must be a list of values, not {got}",
        "{path}：grid {setting} 须为取值列表，而不是 {got}",
    ),
    "sweep.error.file_grid_empty": (
        "{path}: grid {setting} has no values (the sweep would have no cells)",
        "{path}：grid {setting} 没有取值（扫描将没有任何单元）",
    ),
    "sweep.error.file_grid_value": (
        "{path}: grid {setting}: each value must be a non-empty text or a number, as after --grid, not {got}",
        "{path}：grid {setting}：每个取值须为非空文本或数字（与 --grid 之后的写法相同），而不是 {got}",
    ),
    "sweep.error.file_grid_twice": (
        "{path}: grid {setting}: the value {value} is listed twice",
        "{path}：grid {setting}：取值 {value} 重复列出",
    ),
    "sweep.error.file_grid_seed": (
        '{path}: grid seed: the seeds go in "seeds" (every cell\'s last axis), not in the grid',
        '{path}：grid seed：种子应写在 "seeds" 中（每个单元的最后一个维度），而不是写在 grid 中',
    ),
    "sweep.error.file_seed_value": (
        '{path}: "seeds" must be a list of whole numbers from 0 to 4294967295, not {got}',
        '{path}："seeds" 须为 0 到 4294967295 之间的整数列表，而不是 {got}',
    ),
    "sweep.error.file_seed_twice": ("{path}: seed {seed} is listed twice", "{path}：种子 {seed} 重复列出"),
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
    "sweep.error.linked_values": (
        "--grid {setting}={value}: a linked grid value needs {count} comma-separated values, one per setting",
        "--grid {setting}={value}：联动的网格取值需要 {count} 个以逗号分隔的值，每个设置一个",
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
    "sweep.error.scheduler_scheme": (
        "scheduler {address} (--scheduler or DASK_SCHEDULER_ADDRESS): only tcp:// addresses are supported, not "
        "{scheme}:// (it needs settings this option cannot carry)",
        "调度器 {address}（--scheduler 或 DASK_SCHEDULER_ADDRESS）：只支持 tcp:// 地址，不支持 {scheme}://（它需要此选项无法传递的设置）",
    ),
    "sweep.error.no_workers": (
        "scheduler {address} (--scheduler or DASK_SCHEDULER_ADDRESS): the scheduler has no workers",
        "调度器 {address}（--scheduler 或 DASK_SCHEDULER_ADDRESS）：该调度器没有工作进程",
    ),
    "sweep.error.workers_gone": (
        "scheduler {address} (--scheduler or DASK_SCHEDULER_ADDRESS): its workers left and none came back for "
        "{seconds:.0f} s, with {cells} cells left (a worker that cannot import fpengine ends at its first cell: start the "
        "workers in the project's environment); the finished cells are kept, and the same command resumes",
        "调度器 {address}（--scheduler 或 DASK_SCHEDULER_ADDRESS）：其工作进程已离开，{seconds:.0f} 秒内没有新的加入，"
        "尚余 {cells} 个格点（无法导入 fpengine 的工作进程在第一个格点时即退出：请在本项目的环境中启动工作进程）；"
        "已完成的格点已保留，重新运行同一命令即可续跑",
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
    # the Lab page (ui/lab.py)
    "lab.title": ("Lab", "实验室"),
    "lab.description": (
        "Many runs at once: one experiment over a grid of settings × seeds, the convergence law fitted as cells finish.",
        "一次多个运行：一个实验在设置网格 × 随机种子上运行，随着单元完成拟合收敛规律。",
    ),
    "lab.intro": (
        "Is it a coincidence? Run one experiment over many settings × seeds and watch the F-Principle's law "
        "appear cell by cell: every cell is an ordinary run, trained in the background (the same sweeps as "
        "`python -m fpengine sweep`), and the convergence step t of each frequency ω is fitted with a power "
        "law and an exponential as results arrive.",
        "这是巧合吗？把一个实验在多组设置 × 多个随机种子上运行，看频率原则的规律逐个单元地显现：每个单元都是一次普通运行，"
        "在后台训练（与 `python -m fpengine sweep` 相同的扫描），每个频率 ω 的收敛步数 t 随结果到来拟合为幂律与指数律。",
    ),
    "lab.source": ("Start from", "起点"),
    "lab.source.preset": ("Preset “{name}”", "预设 “{name}”"),
    "lab.source.experiment": ("Your own grid on {title}", "自定义网格：{title}"),
    "lab.source.own": (
        "Vary up to two settings of this experiment's Quick preset over values of your choice.",
        "在该实验的快速预设上，对至多两个设置取你选择的值。",
    ),
    "lab.setting": ("Setting {n} to vary", "要改变的设置 {n}"),
    "lab.no_setting": ("(none)", "（无）"),
    "lab.values": ("Its values", "取值"),
    "lab.values_help": (
        "Separated by commas; a list value in brackets, e.g. [1,4],[1,5] for two targets of two frequencies each.",
        "以逗号分隔；列表值放在方括号中，例如 [1,4],[1,5] 表示两个各含两个频率的目标。",
    ),
    "lab.seeds": ("Seeds per combination", "每个组合的种子数"),
    "lab.steps": ("Training steps of every cell", "每个单元的训练步数"),
    "lab.cells": ("**{cells:,} cells**: {grid}{seeds} seed(s).", "**{cells:,} 个单元**：{grid}{seeds} 个种子。"),
    "lab.estimate": (
        "Estimated time here: **about {time}** with {workers} worker(s). An estimate: it scales a {probe:g}-second "
        "timing of the first cell's settings on this server to every cell's steps; bigger networks and other runs on "
        "the server make it longer.",
        "在此服务器上的预计用时：**约 {time}**（{workers} 个工作进程）。这只是估计：由本服务器上对第一个单元设置的 "
        "{probe:g} 秒计时，按每个单元的步数推算；更大的网络和服务器上的其他运行会使其更久。",
    ),
    "lab.watching": (
        "You are watching sweep {sweep}, started in another browser: only that browser can pause, resume or stop "
        "it. New sweep leaves it training and lets you start your own.",
        "你正在观看扫描 {sweep}，它由另一个浏览器启动：只有那个浏览器可以暂停、继续或停止它。"
        "点击“新的扫描”不会停止它，之后你可以开始自己的扫描。",
    ),
    "lab.estimate_button": ("Estimate the time", "估计用时"),
    "lab.estimate_help": (
        "Times the first cell for about a second on this server (in one of its run slots) and scales it to "
        "every cell. Opening the page never trains.",
        "在本服务器上（占用一个运行槽位）对第一个单元计时约一秒，并推算到所有单元。打开页面本身从不训练。",
    ),
    "lab.estimating": ("Timing the first cell…", "正在为第一个单元计时……"),
    "lab.estimate_busy": (
        "No time estimate now: all {limit} run slot(s) of this server are busy. Try again when one is free.",
        "暂时无法估计用时：本服务器的 {limit} 个运行槽位都在使用中。请在有空闲槽位时再试。",
    ),
    "lab.estimate_unknown": (
        "No time estimate: the timing of the first cell gave no speed.",
        "无法估计用时：第一个单元的计时没有得到速度。",
    ),
    "lab.estimate_cluster": (
        "The cells train on a Dask cluster: the time depends on its workers.",
        "这些单元在 Dask 集群上训练：用时取决于集群的工作进程。",
    ),
    "lab.where.local": (
        "Trains on this server: a local pool of {workers} worker process(es); each training cell takes one of the "
        "server's {limit} run slot(s) (FPENGINE_MAX_RUNNING), shared with the single runs of every page.",
        "在本服务器上训练：{workers} 个本地工作进程；每个正在训练的单元占用服务器 {limit} 个运行名额"
        "（FPENGINE_MAX_RUNNING）中的一个，与各页面的单次运行共享。",
    ),
    "lab.where.cluster": (
        "Trains on the Dask cluster at {address} (DASK_SCHEDULER_ADDRESS).",
        "在 {address} 的 Dask 集群上训练（DASK_SCHEDULER_ADDRESS）。",
    ),
    "lab.new": ("New sweep", "新的扫描"),
    "lab.progress": ("{finished:,} / {total:,} cells", "{finished:,} / {total:,} 个单元"),
    "lab.status.queued": ("Waiting for its turn", "正在排队等候"),
    "lab.queued": (
        "This server trains {limit} sweep(s) at once (FPENGINE_MAX_SWEEPS): this one is number {position} in line "
        "and starts by itself when its turn comes.",
        "本服务器同时只训练 {limit} 个扫描（FPENGINE_MAX_SWEEPS）：本扫描排在第 {position} 位，轮到时会自动开始。",
    ),
    "lab.error.one_sweep_each": (
        "You already have a sweep that has not finished: stop it or wait for it to end before starting another "
        "(one sweep per visitor on a shared server).",
        "你已有一个尚未结束的扫描：请先停止它或等它结束再开始新的（共享服务器上每位访客同时只能有一个扫描）。",
    ),
    "lab.status.starting": ("Starting the workers", "正在启动工作进程"),
    "lab.status.waiting": ("Waiting for a free run slot", "正在等待空闲的运行名额"),
    "lab.status.running": ("Training", "训练中"),
    "lab.status.paused": ("Paused: running cells finish, no new cell starts", "已暂停：正在训练的单元会完成，不再开始新单元"),
    "lab.status.stopping": ("Stopping", "正在停止"),
    "lab.status.done": ("Finished", "已完成"),
    "lab.status.stopped": ("Stopped; its finished cells are kept", "已停止；已完成的单元均已保留"),
    "lab.status.abandoned": (
        "Stopped because nobody was watching; its finished cells are kept",
        "无人观看，已自动停止；已完成的单元均已保留",
    ),
    "lab.status.failed": ("The sweep failed: {detail}", "扫描失败：{detail}"),
    "lab.status.interrupted": (
        "Cut short when the server stopped; its finished cells are kept",
        "服务器停止时被中断；已完成的单元均已保留",
    ),
    "lab.waiting": (
        "Every run slot of this server is taken ({limit} at once, FPENGINE_MAX_RUNNING): the sweep starts its next "
        "cell as soon as one frees. Single runs waiting in the queue go first.",
        "本服务器的运行名额已全部占用（同时 {limit} 个，FPENGINE_MAX_RUNNING）：一有空闲名额，扫描就开始下一个单元。"
        "队列中等待的单次运行优先。",
    ),
    "lab.timing": ("Elapsed {elapsed} · about {eta} left · sweep {sweep}", "已用 {elapsed} · 约剩 {eta} · 扫描 {sweep}"),
    "lab.where.pool": ("local pool", "本机进程池"),
    "lab.where_now": ("{where}, {workers} worker(s)", "{where}，{workers} 个工作进程"),
    "lab.lost": (
        "{count} cell(s) have no result (first: {first}).",
        "{count} 个单元没有结果（第一个：{first}）。",
    ),
    "lab.no_cells_yet": ("No cell has finished yet.", "还没有完成的单元。"),
    "lab.law.note": (
        "The NTK prediction is gradient descent on the network linearised at its start: exact only while training stays "
        "near that start (parameter drift ≲ 10%, the linear-regime preset). There theory says t grows like a power of ω "
        "for ReLU (≈ ω²) and exponentially for tanh. Adam and large steps leave that regime: expect a different law "
        "(see docs/law.md).",
        "NTK 预测是网络在初始点处线性化后的梯度下降：只有训练始终停留在初始点附近时才准确（参数漂移 ≲ 10%，见 linear-regime 预设）。"
        "在该区域，理论认为 ReLU 的 t 随 ω 按幂律增长（约 ω²），tanh 则按指数增长。Adam 和大步长会离开该区域：规律会不同"
        "（见 docs/law.md）。",
    ),
    "lab.fits": ("Fitted laws (t against ω, 95% intervals):", "拟合的规律（t 对 ω，95% 置信区间）："),
    "lab.heatmaps.title": ("ΔF per cell", "各单元的 ΔF"),
    "lab.heatmaps.subtitle": (
        "One map per finished cell: frequency (low at the bottom) × step; red = small relative error",
        "每个完成的单元一张图：频率（低频在下）× 步数；红色 = 相对误差小",
    ),
    "lab.heatmaps.more": ("The first {shown} of {count} finished cells.", "{count} 个完成的单元中的前 {shown} 个。"),
    "lab.table": ("Cells", "单元"),
    "lab.table.help": (
        "Click a column's header to sort. “Open run” opens the cell as a single run on its experiment's page.",
        "点击列标题可排序。“打开运行”会在该实验的页面上把此单元作为一次单独运行打开。",
    ),
    "lab.compare": (
        "The methods side by side on the Sec 1.6 page (cells that differ only in their method):",
        "在第 1.6 节页面上并排比较各方法（仅方法不同的单元）：",
    ),
    "lab.compare.more": ("The first {shown} of {count} comparisons.", "{count} 组比较中的前 {shown} 组。"),
    "lab.table.seed": ("seed", "种子"),
    "lab.table.status": ("status", "状态"),
    "lab.table.spearman": ("Spearman ρ", "Spearman ρ"),
    "lab.table.seconds": ("seconds", "秒"),
    "lab.table.open": ("run", "运行"),
    "lab.open": ("Open run", "打开运行"),
    "lab.cell.done": ("done", "完成"),
    "lab.cell.diverged": ("diverged", "发散"),
    "lab.cell.failed": ("failed", "失败"),
    "lab.cell.running": ("training", "训练中"),
    "lab.cell.lost": ("lost", "丢失"),
    "lab.cell.waiting": ("waiting", "等待中"),
    "lab.cell.unrun": ("not run", "未运行"),
    "lab.download": ("Download the sweep (.zip)", "下载扫描（.zip）"),
    "lab.download_help": (
        "sweep.json, results.csv and .parquet, fit.json, the figures and every cell's row and ΔF trace.",
        "sweep.json、results.csv 与 .parquet、fit.json、图表，以及每个单元的结果行与 ΔF 轨迹。",
    ),
    "lab.earlier": ("Earlier sweeps", "以前的扫描"),
    "lab.earlier.item": ("{date} · {name} · {finished}/{cells} cells · {status}", "{date} · {name} · {finished}/{cells} 个单元 · {status}"),
    "lab.earlier.open": ("Open", "打开"),
    "lab.earlier.none": ("No sweep on this server yet.", "此服务器上还没有扫描。"),
    "lab.not_found": ("Sweep {sweep} is no longer available; start a new one.", "扫描 {sweep} 已不可用，请重新开始。"),
    "lab.loaded": ("Showing saved sweep {sweep}.", "正在显示已保存的扫描 {sweep}。"),
    "lab.error.too_many_cells": (
        "this grid has {size:,} cells; this server runs at most {most:,} in one sweep (FPENGINE_MAX_SWEEP_CELLS): "
        "use fewer values or seeds, or run it with python -m fpengine sweep",
        "该网格有 {size:,} 个单元；此服务器一次扫描最多运行 {most:,} 个（FPENGINE_MAX_SWEEP_CELLS）："
        "请减少取值或种子数，或用 python -m fpengine sweep 运行",
    ),
    "lab.error.axes": ("at most {most} settings vary at once", "最多同时改变 {most} 个设置"),
}
