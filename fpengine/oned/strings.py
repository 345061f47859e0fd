"""Strings of the three 1-D pages (Figs 1.3, 1.4–1.5, 1.6)."""

STRINGS: dict[str, tuple[str, str]] = {
    "sine-fit.title": ("Fig 1.3 · Fitting sin(x) + sin(5x)", "图 1.3 · 拟合 sin(x) + sin(5x)"),
    "sine-fit.description": (
        "The outline sin(x) is learned first, the wiggles sin(5x) much later.",
        "先学会轮廓 sin(x)，很久之后才学会振荡 sin(5x)。",
    ),
    "sine-fit.intro": (
        "A deep tanh network is trained on sin(x) + sin(5x). Watch the snapshots: early in training the "
        "output is already close to the smooth sin(x) (the loss sits on a plateau near 0.5, the energy of "
        "sin(5x)); the fast component arrives last.",
        "用深度 tanh 网络拟合 sin(x) + sin(5x)。看快照：训练早期输出已接近平滑的 sin(x)"
        "（损失停在约 0.5 的平台，正是 sin(5x) 的能量）；高频成分最后才被学会。",
    ),
    "staircase.title": ("Figs 1.4–1.5 · A three-level step target", "图 1.4–1.5 · 三值阶梯目标函数"),
    "staircase.description": (
        "round(sin x): a smooth sinusoid first, the sharp jumps and plateaus later; its |DFT| fills in low to high.",
        "round(sin x)：先出现平滑的正弦，之后才出现陡峭的跳跃和平台；其 |DFT| 由低到高逐步吻合。",
    ),
    "staircase.intro": (
        "The target y = round(sin x) takes the values −1, 0, 1. Its spectrum has odd harmonics (except "
        "multiples of 3). Because the grid is not exactly periodic, the peak rule also finds leakage "
        "side-lobes: they are marked grey and not tracked unless you pick them.",
        "目标 y = round(sin x) 取值 −1、0、1，频谱含奇次谐波（3 的倍数除外）。由于网格不是严格周期的，"
        "选峰规则也会找到泄漏旁瓣：它们以灰色标出，除非你选择，否则不跟踪。",
    ),
    "staircase.quantize": ("Quantise the target: α·round(f/α), α =", "目标量化：α·round(f/α)，α ="),
    "staircase.quantize_help": ("0 keeps the target continuous.", "0 表示不量化。"),
    "equal-amplitude.title": ("Fig 1.6 · Equal amplitudes, ΔF heatmap", "图 1.6 · 等幅频率成分与 ΔF 热图"),
    "equal-amplitude.description": (
        "sin x + sin 3x + sin 5x: the relative error ΔF(k) turns red row by row, lowest frequency first.",
        "sin x + sin 3x + sin 5x：相对误差 ΔF(k) 逐行变红，最低频最先。",
    ),
    "equal-amplitude.intro": (
        "All components have the same amplitude, so any difference in speed comes from frequency alone. "
        "Design your own target below; the heatmap shows ΔF(k) = |ĥ_k − f̂_k| / |f̂_k| at the target's peaks.",
        "各成分振幅相同，因此收敛快慢的差别只来自频率。可在下方自行设计目标；热图显示目标各峰处的 ΔF(k) = |ĥ_k − f̂_k| / |f̂_k|。",
    ),
    "equal-amplitude.timescale": (
        "The chapter's text says the highest peak needs ≈10⁴ epochs; with the book code's learning rate "
        "(1e-4) it converges near step 2000. The timescale depends on the learning rate; the order does not.",
        "正文称最高频约需 10⁴ 个 epoch；按原书代码的学习率（1e-4）约在第 2000 步收敛。时间尺度取决于学习率，先后顺序则不变。",
    ),
}
