"""Strings shared by every page: navigation, run controls, statuses, generic chart labels."""

STRINGS: dict[str, tuple[str, str]] = {
    "app.title": ("F-Principle Explorer", "频率原则探索器"),
    "app.tagline": (
        "Neural networks fit training data from low to high frequency — watch it happen.",
        "神经网络由低频到高频拟合训练数据——亲眼看它发生。",
    ),
    "app.home": ("Home", "首页"),
    "app.language": ("Language / 语言", "Language / 语言"),
    "app.device": ("Compute device: {device}", "计算设备：{device}"),
    "app.cpu_threads": ("CPU ({threads} torch thread(s))", "CPU（{threads} 个 torch 线程）"),
    "app.device.why.found": ("chosen automatically: a GPU that passed a test computation", "自动选择：一块通过了测试计算的 GPU"),
    "app.device.why.none": ("chosen automatically: this server has no GPU", "自动选择：此服务器没有 GPU"),
    "app.device.why.forced": ("the server is set to the CPU (FPENGINE_FORCE_CPU)", "服务器设定为只用 CPU（FPENGINE_FORCE_CPU）"),
    "app.device.why.chosen": ("you chose the CPU only", "你选择了仅用 CPU"),
    "app.device.why.failed": ("the GPU failed its test computation", "GPU 未通过测试计算"),
    "app.device.failed": (
        "A GPU reports itself available but failed a test computation ({detail}), so runs train on the CPU.",
        "有 GPU 报告可用，但未通过测试计算（{detail}），因此训练在 CPU 上进行。",
    ),
    "app.device.pinned": (
        "This experiment always trains on the CPU: SciPy's optimisers are CPU code, and a network of a few "
        "hundred parameters would keep a GPU busy launching kernels rather than computing.",
        "本实验总是在 CPU 上训练：SciPy 的优化器只在 CPU 上运行，而只有几百个参数的网络在 GPU 上只会忙于启动内核，而不是计算。",
    ),
    "run.error.time_limit": (
        "this run reached the server's limit of {minutes} min for one run (FPENGINE_MAX_RUN_SECONDS={seconds}) and was "
        "ended, keeping what it had computed; choose fewer steps or smaller settings",
        "此运行达到了服务器对单次运行的时长上限 {minutes} 分钟（FPENGINE_MAX_RUN_SECONDS={seconds}），已被结束，"
        "已计算的结果保留；请选择更少的步数或更小的设置",
    ),
    "run.error.worker_died": (
        "the worker process training this run ended unexpectedly (exit code {code}: killed, or out of memory); "
        "the server goes on, and a new run gets a fresh worker",
        "训练此运行的工作进程意外结束（退出码 {code}：被终止或内存不足）；服务器仍在运行，新的运行会使用新的工作进程",
    ),
    "run.error.cluster_lost": (
        "the Dask cluster at {address} stopped answering while this run trained ({reason}); "
        "new runs train on this server's workers until it is back",
        "训练此运行时 {address} 的 Dask 集群失去响应（{reason}）；在它恢复之前，新的运行在本服务器的工作进程上训练",
    ),
    "run.error.cluster_no_workers": (
        "the Dask cluster at {address} has had no worker for {seconds:.0f} s (a worker that cannot import fpengine ends at "
        "its first run); this run ended, and new runs train on this server's workers until the cluster has workers again",
        "{address} 的 Dask 集群已 {seconds:.0f} 秒没有工作进程（无法导入 fpengine 的工作进程在第一次运行时即退出）；"
        "此运行已结束，在集群重新有工作进程之前，新的运行在本服务器的工作进程上训练",
    ),
    "run.error.remote": ("{detail}", "{detail}"),  # a worker's error, rendered there in both languages
    "run.notice.cluster_away": (
        "The Dask cluster at {address} cannot be reached ({reason}): runs train on this server's own workers meanwhile.",
        "无法连接 {address} 的 Dask 集群（{reason}）：在此期间运行在本服务器自己的工作进程上训练。",
    ),
    "run.error.memory_shared": (
        "{setting}: a run this size needs about {need} of memory, but {device} has about {available} free once "
        "{reserved} is kept for the {runs} run(s) already training; choose smaller values or try again when they end",
        "{setting}：这样大的运行约需 {need} 内存，但 {device} 在为已在训练的 {runs} 个运行保留 {reserved} 后只有约 "
        "{available} 可用；请选择更小的值，或等它们结束后再试",
    ),
    "run.error.memory": (
        "{setting}: a run this size needs about {need} of memory, but {device} has about {available} free; choose smaller values",
        "{setting}：这样大的运行约需 {need} 内存，但 {device} 只有约 {available} 可用；请选择更小的值",
    ),
    "app.bad_server_setting": (
        "The server is set up wrongly, so no page can run: {detail}. Whoever runs the server "
        "must fix this environment variable and restart it.",
        "服务器配置有误，页面无法运行：{detail}。请服务器管理员修改这个环境变量并重启服务器。",
    ),
    "app.what": ("What is the Frequency Principle?", "什么是频率原则？"),
    "app.what_body": (
        "Train a deep network on sin(x) + sin(5x) and look at it early on: it has already drawn the slow "
        "outline sin(x) but not yet the fast wiggles sin(5x). The wiggles come much later. This is the "
        "**Frequency Principle (F-Principle)**: deep neural networks often fit target functions from low to "
        "high frequency during training. Each page below reproduces one figure of the chapter, live: the "
        "network output, its spectrum against the target's, and the relative error per frequency over training.",
        "用深度网络拟合 sin(x) + sin(5x)，在训练早期观察：网络已经画出了缓慢的轮廓 sin(x)，却还没有学会快速的"
        "振荡 sin(5x)，振荡要晚得多才出现。这就是**频率原则（F-Principle）**：深度神经网络在训练中往往由低频到"
        "高频拟合目标函数。下面每一页实时复现本章的一幅图：网络输出、输出频谱与目标频谱的对比，以及各频率的"
        "相对误差随训练的变化。",
    ),
    "app.pages": ("The experiments", "实验列表"),
    "app.how": (
        "Pick a page in the sidebar, press **Start**, and watch. Runs continue in the background: you can "
        "reload the page or come back later (the run id is in the address bar).",
        "在侧边栏选择一页，按 **开始** 即可观看。训练在后台进行：可以刷新页面或稍后回来（运行编号在地址栏中）。",
    ),
    "app.cli": (
        "Researchers: every experiment also runs headless — `python -m fpengine list`, "
        "`python -m fpengine run equal-amplitude --out results/`.",
        "研究者：每个实验都可以无界面运行——`python -m fpengine list`，`python -m fpengine run equal-amplitude --out results/`。",
    ),
    # run controls
    "run.start": ("Start", "开始"),
    "run.pause": ("Pause", "暂停"),
    "run.resume": ("Resume", "继续"),
    "run.stop": ("Stop", "停止"),
    "run.reset": ("Reset", "重置"),
    "run.restart": ("Restart with new settings", "用新设置重新开始"),
    "run.status.idle": ("Ready. Press Start.", "就绪，请按开始。"),
    "run.status.queued": (
        "Queued: {position} run(s) ahead — the server trains {limit} at a time.",
        "排队中：前面还有 {position} 个运行——服务器同时只训练 {limit} 个。",
    ),
    "run.status.queued_wait": (
        "Queued: {position} run(s) ahead, about {wait} to wait — the server trains {limit} at a time.",
        "排队中：前面还有 {position} 个运行，约需等待 {wait}——服务器同时只训练 {limit} 个。",
    ),
    "run.error.server_busy": (
        "The server is busy: {queued} runs are already waiting (FPENGINE_MAX_QUEUED={most}). Try again in a minute.",
        "服务器繁忙：已有 {queued} 个运行在排队（FPENGINE_MAX_QUEUED={most}）。请一分钟后再试。",
    ),
    "run.error.visitor_busy": (
        "You already have {most} runs (or comparisons) training or waiting on this server (FPENGINE_MAX_PER_VISITOR); "
        "stop one, or start this one when one has finished.",
        "你在此服务器上已有 {most} 个运行（或对比）正在训练或排队（FPENGINE_MAX_PER_VISITOR）；请先停止其中一个，或等其完成后再开始。",
    ),
    "run.status.running": ("Training", "训练中"),
    "run.status.paused": ("Paused", "已暂停"),
    "run.status.done": ("Finished", "已完成"),
    "run.status.stopped": ("Stopped", "已停止"),
    "run.status.abandoned": ("Stopped because nobody was watching.", "无人观看，已自动停止。"),
    "run.status.diverged": (
        "Training diverged at step {step:,}: the loss became NaN or infinite. Try a smaller learning rate.",
        "训练在第 {step:,} 步发散：损失变为 NaN 或无穷大。请尝试更小的学习率。",
    ),
    "run.status.failed": ("The run failed: {detail}", "运行失败：{detail}"),
    "run.progress": ("Step {step:,} / {total:,}", "第 {step:,} / {total:,} 步"),
    "run.speed": ("{rate:,.0f} steps/s · ETA {eta}", "{rate:,.0f} 步/秒 · 预计剩余 {eta}"),
    "run.device": ("Device: {device}", "设备：{device}"),
    "run.settings_changed": (
        "Settings changed since this run started. The run keeps its own settings; press “Restart with new settings” to apply yours.",
        "设置在本次运行开始后已更改。当前运行保持原设置；按“用新设置重新开始”以应用新设置。",
    ),
    "run.fix_settings": (
        "Some settings need fixing before a run can start (see the message below).",
        "部分设置需要修改后才能开始运行（见下方提示）。",
    ),
    "run.invalid": ("Please fix this setting: {detail}", "请修改此设置：{detail}"),
    "run.not_found": ("Run {run} is no longer available; start a new one.", "运行 {run} 已不可用，请重新开始。"),
    "run.loaded": ("Showing saved run {run}.", "正在显示已保存的运行 {run}。"),
    "run.export": ("Download results (.zip)", "下载结果（.zip）"),
    "run.export_help": (
        "config.json, metrics.csv, summary.json and the figures as PNG",
        "config.json、metrics.csv、summary.json 以及 PNG 图",
    ),
    "run.id": ("Run id: {run}", "运行编号：{run}"),
    # settings
    "settings.title": ("Settings", "设置"),
    "settings.preset": ("Preset", "预设"),
    "settings.preset.quick": ("Quick (CPU)", "快速（CPU）"),
    "settings.preset.book": ("Book (as in the chapter)", "原书设置"),
    "settings.preset_help": (
        "Quick runs in seconds on a laptop CPU; Book uses the authors' exact settings (slow on CPU).",
        "快速预设在笔记本 CPU 上几秒内完成；原书预设使用作者的原始设置（在 CPU 上较慢）。",
    ),
    "settings.network": ("Network", "网络"),
    "settings.widths": ("Hidden layer widths", "隐藏层宽度"),
    "settings.widths_help": ("Comma-separated, e.g. 200,200,200,100", "用逗号分隔，如 200,200,200,100"),
    "settings.activation": ("Activation", "激活函数"),
    "settings.init": ("Initialisation", "初始化"),
    "settings.init.chapter": ("Chapter: N(0, 1/w₁^t)", "本章：N(0, 1/w₁^t)"),
    "settings.init.default": ("PyTorch default", "PyTorch 默认"),
    "settings.init_power": ("Init power t (std = 1/w₁^t)", "初始化幂次 t（标准差 = 1/w₁^t）"),
    "settings.output_init": ("Initial output", "初始输出"),
    "settings.output_init.random": ("Random", "随机"),
    "settings.output_init.antisymmetric": ("Zero (antisymmetric pairs)", "零（反对称成对）"),
    "settings.output_init_help": (
        "Antisymmetric: the last hidden layer's second half repeats the first half's units with opposite output weights, "
        "so the network starts at f = 0 with the same expected tangent kernel (needs an even last width).",
        "反对称：最后一个隐藏层的后一半重复前一半的单元，输出权重取相反数，因此网络从 f = 0 出发，切核的期望不变（最后一层宽度须为偶数）。",
    ),
    "settings.training": ("Training", "训练"),
    "settings.optimizer": ("Optimizer", "优化器"),
    "settings.optimizer.adam": ("Adam", "Adam"),
    "settings.optimizer.sgd": ("SGD", "SGD（随机梯度下降）"),
    "settings.optimizer.momentum": ("SGD with momentum", "动量 SGD"),
    "settings.optimizer.rmsprop": ("RMSprop", "RMSprop"),
    "settings.lr": ("Learning rate", "学习率"),
    "settings.momentum": ("Momentum", "动量"),
    "settings.steps": ("Steps", "步数"),
    "settings.seed": ("Seed", "随机种子"),
    "settings.data": ("Data", "数据"),
    "settings.samples": ("Training samples", "训练样本数"),
    "settings.domain_lo": ("Domain from", "区间起点"),
    "settings.domain_hi": ("Domain to", "区间终点"),
    "settings.periodic": ("Exactly periodic grid (no endpoint)", "严格周期网格（不含终点）"),
    "settings.margin": ("Plot beyond the domain (each side)", "绘图超出区间的宽度（每侧）"),
    "settings.margin_help": (
        "The output is drawn this far beyond the training points on each side, where the network extrapolates.",
        "输出曲线在训练点两侧各多画这么宽，那里是网络的外推。",
    ),
    "settings.analysis": ("Spectral analysis", "频谱分析"),
    "settings.n_freq": ("Frequency indices shown", "显示的频率个数"),
    "settings.max_peaks": ("Peaks tracked automatically", "自动跟踪的峰数"),
    "settings.max_peaks_help": (
        "How many of the target's spectral peaks ΔF follows, lowest first, unless you choose them under the target.",
        "ΔF 跟踪目标频谱的前几个峰（从低频起），除非你在目标下方自行选择。",
    ),
    "settings.epsilon": ("Convergence threshold ε", "收敛阈值 ε"),
    "settings.error_form": ("ΔF form", "ΔF 形式"),
    "settings.error_form.complex": ("|ĥ−f̂|/|f̂| (chapter text)", "|ĥ−f̂|/|f̂|（正文）"),
    "settings.error_form.magnitude": ("||ĥ|−|f̂||/|f̂| (notebooks)", "||ĥ|−|f̂||/|f̂|（课堂代码）"),
    "settings.rule": ("Converged when", "收敛判据"),
    "settings.rule.robust": ("below ε until the end (robust)", "此后一直低于 ε（稳健）"),
    "settings.rule.consecutive": ("10 steps in a row below ε (notebooks)", "连续 10 步低于 ε（课堂代码）"),
    "settings.device": ("Device", "设备"),
    "settings.device.auto": ("Automatic (GPU if present)", "自动（有 GPU 则用 GPU）"),
    "settings.device.cpu": ("CPU only", "仅 CPU"),
    # views and charts
    "view.output": ("Network output vs target", "网络输出与目标函数"),
    "view.spectrum": ("Spectrum |DFT|/N: output vs target", "频谱 |DFT|/N：输出与目标"),
    "view.heatmap": ("Relative error ΔF(k) over training", "训练过程中的相对误差 ΔF(k)"),
    "view.heatmap_help": (
        "Red = small error (converged), blue = large. Rows are frequencies, low at the bottom.",
        "红色 = 误差小（已收敛），蓝色 = 误差大。每行是一个频率，低频在下。",
    ),
    "view.loss": ("Training loss", "训练损失"),
    "view.convergence": ("Convergence per frequency", "各频率的收敛步数"),
    "view.spearman": ("Rank correlation frequency ↔ convergence step", "频率与收敛步数的秩相关"),
    "view.spearman_help": (
        "+1 means every higher frequency converged later: the F-Principle in one number.",
        "+1 表示频率越高收敛越晚：用一个数概括频率原则。",
    ),
    "view.never": ("not yet", "尚未收敛"),
    "view.log_steps": ("Log step axis", "对数步数轴"),
    "view.colormap": ("Colour map", "配色"),
    "view.colormap.redblue": ("RdBu (chapter)", "RdBu（原书）"),
    "view.colormap.yellowgreenblue": ("YlGnBu (new book)", "YlGnBu（新书）"),
    "view.snapshots": ("Snapshots during training", "训练过程快照"),
    "replay.title": ("Replay", "回放"),
    "replay.step": ("Step shown", "显示的步数"),
    "replay.step_help": (
        "Move to any kept step: the output, its spectrum and the cursor on the heatmap follow.",
        "拖到任一保存的步数：输出、其频谱和热图上的游标随之移动。",
    ),
    "replay.play": ("Play", "播放"),
    "replay.pause": ("Pause replay", "暂停回放"),
    "replay.speed": ("Speed", "速度"),
    "replay.showing": ("Replaying step {step:,} of {total:,}", "回放第 {step:,} 步（共 {total:,} 步）"),
    "view.snapshot_steps": ("Snapshot steps", "快照步数"),
    "chart.x": ("x", "x"),
    "chart.value": ("value", "函数值"),
    "chart.series": ("curve", "曲线"),
    "chart.target": ("target", "目标"),
    "chart.output": ("output", "输出"),
    "chart.step": ("step", "步数"),
    "chart.loss": ("loss", "损失"),
    "chart.freq_index": ("frequency index k", "频率序号 k"),
    "chart.amplitude": ("|DFT|/N", "|DFT|/N"),
    "chart.frequency": ("frequency", "频率"),
    "chart.error": ("relative error", "相对误差"),
    "chart.peak": ("selected peak", "选中的峰"),
    "chart.side_lobe": ("side-lobe (leakage)", "旁瓣（泄漏）"),
    "chart.at_step": ("step {step:,}", "第 {step:,} 步"),
    "table.frequency": ("frequency", "频率"),
    "table.index": ("DFT index k", "DFT 序号 k"),
    "table.converged_at": ("converged at step", "收敛步数"),
    "table.final_error": ("current ΔF", "当前 ΔF"),
    "app.classroom": ("Classroom mode", "课堂模式"),
    "app.classroom_help": (
        "For a projector: the settings fold away, the charts get the width and larger text. "
        "A link with ?classroom=1 opens the page this way.",
        "用于投影：设置收起，图表占满宽度并使用更大的字号。带 ?classroom=1 的链接会以此方式打开页面。",
    ),
    "app.classroom_settings": ("Settings", "设置"),
    "link.copy": ("Copy link to this setup", "复制此设置的链接"),
    "link.copy_help": (
        "Opening this link restores this page's settings (those that differ from the preset). It carries "
        "no run and nothing of your own photo.",
        "打开此链接即可恢复本页的设置（与预设不同的部分）。链接不包含任何运行，也不包含你自己的照片。",
    ),
    "link.ignored": (
        "This link had settings this page cannot use; they were ignored: {params}",
        "此链接中有本页无法使用的设置，已忽略：{params}",
    ),
    "run.watching": (
        "You are watching run {run}, started in another browser: only that browser can pause, resume, stop or "
        "restart it. Reset leaves it training and lets you start your own.",
        "你正在观看运行 {run}，它由另一个浏览器启动：只有那个浏览器可以暂停、继续、停止或重新开始它。"
        "点击“重置”不会停止它，之后你可以开始自己的运行。",
    ),
    "run.private": (
        "Run {run} trains on someone's own photo: only the browser that uploaded the photo can watch or control it.",
        "运行 {run} 使用的是某人自己的照片：只有上传照片的浏览器才能查看或控制它。",
    ),
}
