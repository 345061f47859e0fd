"""Strings of the Sec 1.6 page: the F-Principle under optimizers that are not gradient descent."""

STRINGS: dict[str, tuple[str, str]] = {
    "beyond-gd.title": ("Sec 1.6 · Beyond gradient descent", "第 1.6 节 · 梯度下降之外"),
    "beyond-gd.description": (
        "Conjugate gradient, BFGS, L-BFGS, Powell and particle swarm also fit low frequencies first.",
        "共轭梯度、BFGS、L-BFGS、Powell 方法和粒子群优化同样先拟合低频。",
    ),
    "beyond-gd.intro": (
        "Is the F-Principle just a property of gradient descent? Here a small 1-m-1 tanh network is trained "
        "by optimizers that take no gradient-descent steps: conjugate gradient, the quasi-Newton methods BFGS "
        "and L-BFGS, Powell's direction-set method (no gradients at all) and a particle swarm (no gradients, "
        "many networks at once). Gradient descent (Adam, SGD, …) is there for reference. The grid is exactly "
        "periodic, so the spectrum has no leakage. The x axis counts iterations, and one iteration means very "
        "different work per method, so function evaluations and wall time are shown too.",
        "频率原则只是梯度下降的性质吗？这里用不做梯度下降步的优化器训练一个小型 1-m-1 tanh 网络：共轭梯度、"
        "拟牛顿法 BFGS 与 L-BFGS、Powell 方向集方法（完全不用梯度）以及粒子群（不用梯度，同时演化许多网络）。"
        "梯度下降（Adam、SGD 等）作为对照。网格严格周期，因此频谱没有泄漏。横轴是迭代次数，而不同方法一次迭代的"
        "工作量相差很大，所以同时显示函数求值次数与耗时。",
    ),
    "beyond-gd.sources": (
        "No public code exists for this section (Ma, Xu, Zhang 2021): the defaults are settings measured for this "
        'app, and the "book" preset uses three sines with longer iteration caps.',
        "本节（Ma、Xu、Zhang 2021）没有公开代码：默认值是为本应用实测选定的设置，“原书设置”预设使用三个正弦成分并放宽迭代上限。",
    ),
    "beyond.iteration": ("iteration", "迭代"),
    "beyond.method.cg": ("Conjugate gradient", "共轭梯度"),
    "beyond.method.bfgs": ("BFGS", "BFGS"),
    "beyond.method.lbfgs": ("L-BFGS-B", "L-BFGS-B"),
    "beyond.method.powell": ("Powell (gradient-free)", "Powell（无梯度）"),
    "beyond.method.pso": ("Particle swarm (gradient-free)", "粒子群（无梯度）"),
    "beyond.method.adam": ("Adam (gradient descent)", "Adam（梯度下降）"),
    "beyond.method.sgd": ("SGD (gradient descent)", "SGD（梯度下降）"),
    "beyond.method.momentum": ("SGD with momentum (gradient descent)", "动量 SGD（梯度下降）"),
    "beyond.method.rmsprop": ("RMSprop (gradient descent)", "RMSprop（梯度下降）"),
    "beyond.width.automatic": ("automatic: 30, or 10 for the particle swarm", "自动：30，粒子群为 10"),
    "beyond.cap.automatic": ("the method's entry in iterations", "取 iterations 中该方法的上限"),
    "beyond.mode": ("Mode", "模式"),
    "beyond.mode.single": ("One optimizer", "单个优化器"),
    "beyond.mode.compare": ("Compare optimizers", "比较优化器"),
    "beyond.optimizers": ("Optimizers to compare", "参与比较的优化器"),
    "beyond.compare_too_few": ("Pick at least two optimizers to compare.", "请至少选择两个优化器进行比较。"),
    "beyond.compare_note": (
        "Every optimizer starts from the same initial network (same width and seed; the swarm holds it as one "
        "of its particles) and stops at its own iteration cap.",
        "所有优化器都从同一个初始网络出发（相同宽度与随机种子；粒子群把它作为其中一个粒子），各自在自己的迭代上限处停止。",
    ),
    "beyond.network": ("Network 1-m-1", "网络 1-m-1"),
    "beyond.width": ("Hidden width m", "隐藏层宽度 m"),
    "beyond.width_help": (
        "Defaults: m = 30 (91 parameters), and m = 10 (31 parameters) for the particle swarm.",
        "默认值：m = 30（91 个参数）；粒子群用 m = 10（31 个参数）。",
    ),
    "beyond.init_std": ("Initial weights ~ N(0, σ²), σ =", "初始权重 ~ N(0, σ²)，σ ="),
    "beyond.parameters": ("P = 3m + 1 = {p} parameters", "P = 3m + 1 = {p} 个参数"),
    "beyond.optimizer": ("Optimizer", "优化器"),
    "beyond.iterations": ("Iteration cap", "迭代上限"),
    "beyond.iterations_help": (
        "SciPy's methods may stop earlier once their own tolerance is met.",
        "SciPy 的方法在满足自身容差后可能提前停止。",
    ),
    "beyond.lr": ("Learning rate (gradient descent)", "学习率（梯度下降）"),
    "beyond.swarm": ("Particle swarm", "粒子群"),
    "beyond.particles": ("Particles", "粒子数"),
    "beyond.inertia": ("Inertia w", "惯性权重 w"),
    "beyond.cognitive": ("Cognitive c₁ (own best)", "认知系数 c₁（自身最优）"),
    "beyond.social": ("Social c₂ (swarm best)", "社会系数 c₂（群体最优）"),
    "beyond.slow.powell": (
        "Powell will be very slow for {p} parameters: one iteration line-searches every direction, about "
        "{evaluations:,} function evaluations. Use a smaller width or a lower iteration cap.",
        "对 {p} 个参数，Powell 方法会非常慢：每次迭代要沿每个方向做线搜索，约 {evaluations:,} 次函数求值。请减小宽度或降低迭代上限。",
    ),
    "beyond.slow.pso": (
        "A particle swarm searches {p} dimensions here; above about {limit} it rarely gets the high "
        "frequencies right. Try m = 10 or more particles.",
        "此时粒子群要在 {p} 维空间中搜索；超过约 {limit} 维时很难拟合高频成分。可尝试 m = 10 或增加粒子数。",
    ),
    "beyond.slow.bfgs": (
        "BFGS keeps a dense {p}×{p} inverse Hessian: above about {limit} parameters every iteration gets slow. L-BFGS-B does not.",
        "BFGS 保存一个 {p}×{p} 的稠密逆 Hessian 矩阵：参数超过约 {limit} 个时每次迭代都会变慢。L-BFGS-B 没有这个问题。",
    ),
    "beyond.work": ("What the iterations cost", "迭代的代价"),
    "beyond.live_evaluations": ("{evaluations:,} function evaluations so far", "至今 {evaluations:,} 次函数求值"),
    "beyond.compare_title": ("Side by side", "并排比较"),
    "beyond.table.optimizer": ("optimizer", "优化器"),
    "beyond.table.parameters": ("parameters", "参数个数"),
    "beyond.table.converged": ("ω={frequency} (k={k}) converged at", "ω={frequency}（k={k}）收敛于"),
    "beyond.table.iterations": ("iterations", "迭代次数"),
    "beyond.table.evaluations": ("function evaluations", "函数求值次数"),
    "beyond.table.seconds": ("wall time (s)", "耗时（秒）"),
    "beyond.table.evaluations_per_second": ("evaluations/s", "求值次数/秒"),
    "beyond.table.loss": ("final loss", "最终损失"),
    "beyond.stopped_at_cap": (
        "Stopped at the iteration cap ({iterations:,}). The optimizer's own words: {message}",
        "在迭代上限（{iterations:,}）处停止。优化器原文：{message}",
    ),
    "beyond.stopped_early": (
        "The optimizer stopped by itself after {iterations:,} iterations. Its own words: {message}",
        "优化器在 {iterations:,} 次迭代后自行停止。优化器原文：{message}",
    ),
}
