"""Strings of the 1-D read-out shared by Figs 1.3–1.6 and Sec 1.6: the target designer, the
Theory view (the linearised prediction) and the target's and spectrum's refusals."""

STRINGS: dict[str, tuple[str, str]] = {
    "designer.title": ("Target designer", "目标函数设计"),
    "designer.mode": ("Target", "目标"),
    "designer.mode.sines": ("Sum of sines", "正弦之和"),
    "designer.mode.formula": ("Formula", "公式"),
    "designer.component": ("Component {n}", "成分 {n}"),
    "designer.frequency": ("frequency ω", "频率 ω"),
    "designer.amplitude": ("amplitude", "振幅"),
    "designer.phase": ("phase", "相位"),
    "designer.add": ("Add a component", "添加成分"),
    "designer.remove": ("Remove the last component", "删除最后一个成分"),
    "designer.formula": ("f(x) =", "f(x) ="),
    "designer.formula_help": (
        "Use x, numbers, pi, e, the operators + − * / ** % and these functions, each with exactly the "
        "arguments shown: {functions}. It must be defined (finite) at every grid point.",
        "可用 x、数字、pi、e、运算符 + − * / ** % 以及下列函数（参数个数须与所示完全一致）：{functions}。"
        "公式须在每个网格点上有定义（有限）。",
    ),
    "designer.formula_error": ("This formula cannot be used: {detail}", "无法使用该公式：{detail}"),
    "designer.preview": ("Preview: the target and its spectrum", "预览：目标函数及其频谱"),
    "designer.peaks": ("Tracked peaks (DFT index)", "跟踪的峰（DFT 序号）"),
    "designer.peaks_help": (
        "Peaks of the target's |DFT|. Grey ones are leakage side-lobes of a non-periodic grid.",
        "目标 |DFT| 的峰。灰色的是非周期网格造成的泄漏旁瓣。",
    ),
    "designer.side_lobe": ("{k} (side-lobe)", "{k}（旁瓣）"),
    "theory.error.samples": (
        "{setting} must be at most {limit:,} with theory=ntk (the kernel is samples × samples)",
        "theory=ntk 时 {setting} 至多为 {limit:,}（核矩阵为 样本数 × 样本数）",
    ),
    "theory.toggle": ("Theory: the linearised (NTK) prediction", "理论：线性化（NTK）预测"),
    "theory.toggle_help": (
        "Compute the neural tangent kernel of the initial network and predict every frequency's ΔF under "
        "gradient descent, beside the measurement.",
        "计算初始网络的神经正切核，预测梯度下降下各频率的 ΔF，与实测并排显示。",
    ),
    "theory.title": ("Theory beside experiment", "理论与实验对照"),
    "theory.model": (
        "**The model.** Near its initial parameters θ₀ the network is almost linear in them: "
        "f(θ) ≈ f(θ₀) + J(θ − θ₀), with J the Jacobian of its n outputs on the training grid. Under full-batch "
        "gradient descent with step η on the loss mean((f − y)²), the residual r = f − y then evolves as "
        "r_t = (I − 2ηK/n)^t r₀ ≈ exp(−2ηtK/n) r₀ (with the ½·mean loss of Sec 1.6: ηK/n), where K = JJᵀ is the "
        "neural tangent kernel, computed exactly here at the run's initial network. Each eigenvector of K decays at "
        "its own rate, proportional to its eigenvalue; the large eigenvalues belong to smooth eigenvectors (see the "
        "spectrum chart), so the low frequencies are predicted to converge first. The prediction holds while the "
        "network stays close to its linearisation (wide networks, small learning rates); the drift below shows how "
        "far this run moved.",
        "**模型。** 在初始参数 θ₀ 附近，网络对参数近似线性：f(θ) ≈ f(θ₀) + J(θ − θ₀)，J 为网络在训练网格上 n 个输出"
        "对参数的雅可比矩阵。以步长 η 对损失 mean((f − y)²) 做全批量梯度下降时，残差 r = f − y 的演化为 "
        "r_t = (I − 2ηK/n)^t r₀ ≈ exp(−2ηtK/n) r₀（第 1.6 节的损失为 ½·mean，对应 ηK/n），其中 K = JJᵀ 是神经正切核，"
        "这里在本次运行的初始网络上精确计算。K 的每个特征向量以与其特征值成正比的速率衰减；大特征值对应光滑的特征向量"
        "（见谱图），因此理论预测低频先收敛。只要网络始终接近其线性化（宽网络、小学习率），预测就成立；下方的漂移量显示"
        "本次运行偏离了多远。",
    ),
    "theory.exact": (
        "Plain gradient descent (sgd, full batch): the prediction is exact for the linearised network, step for step, with η = {lr:g}.",
        "普通梯度下降（sgd，全批量）：对线性化网络而言预测逐步精确，η = {lr:g}。",
    ),
    "theory.matched": (
        "{optimizer} is not linear in the gradient (it rescales every parameter's step), so no linear prediction of it "
        "exists. Shown instead: gradient descent at the matched step η = {eta:.3g}, the gradient step that lowers the "
        "loss, to first order, as much as {optimizer}'s own first step (the configured lr is {lr:g}). The two loss "
        "curves show how long the match holds.",
        "{optimizer} 对梯度不是线性的（它会重新缩放每个参数的步长），因此不存在对它的线性预测。这里显示的是匹配步长 "
        "η = {eta:.3g} 的梯度下降：其一阶近似下的损失下降与 {optimizer} 自己的第一步相同（设置的学习率为 {lr:g}）。"
        "两条损失曲线显示这种匹配能维持多久。",
    ),
    "theory.nongradient": (
        "{method} is not gradient descent: the prediction is that of the gradient-descent reference (its optimizer and "
        "learning rate), one of its steps per iteration. Compare the order in which the frequencies converge, not the times.",
        "{method} 不是梯度下降：这里的预测属于梯度下降参照（其优化器与学习率），每次迭代对应一步。请比较各频率收敛的先后顺序，而不是时间。",
    ),
    "theory.measured": ("measured", "实测"),
    "theory.predicted": ("linear prediction", "线性预测"),
    "theory.measured_heatmap": ("Measured ΔF(k)", "实测 ΔF(k)"),
    "theory.predicted_heatmap": ("Predicted ΔF(k): linearised network, gradient descent", "预测 ΔF(k)：线性化网络，梯度下降"),
    "theory.loss_title": ("Loss: measured vs linear prediction", "损失：实测与线性预测"),
    "theory.spectrum_title": ("NTK eigenvalues vs the frequency of their eigenvectors", "NTK 特征值与其特征向量的频率"),
    "theory.eigen_index": ("dominant DFT index of the eigenvector", "特征向量的主 DFT 序号"),
    "theory.eigenvalue": ("eigenvalue of K", "K 的特征值"),
    "theory.spectrum_help": (
        "Each point is one of K's largest eigenvalues, placed at the frequency its eigenvector mostly has; dashed lines "
        "mark the tracked peaks. Under gradient descent a mode with eigenvalue λ shrinks by a factor 1 − 2ηλ/n per step.",
        "每个点是 K 的一个较大特征值，横坐标为其特征向量的主频；虚线标出跟踪的峰。梯度下降中特征值为 λ 的模式每步缩小为原来的 "
        "1 − 2ηλ/n 倍。",
    ),
    "theory.parameter_drift": ("parameter drift ‖θ − θ₀‖ / ‖θ₀‖", "参数漂移 ‖θ − θ₀‖ / ‖θ₀‖"),
    "theory.parameter_drift_help": (
        "How far the parameters have moved from where the kernel was computed. Small (a few %) means the linearisation holds.",
        "参数离计算核时的位置移动了多远。很小（几个百分点）表示线性化成立。",
    ),
    "theory.kernel_drift": ("kernel drift ‖K − K₀‖ / ‖K₀‖ (end)", "核漂移 ‖K − K₀‖ / ‖K₀‖（结束时）"),
    "theory.kernel_drift_help": (
        "How much the tangent kernel itself changed by the end of the run: the theory assumes it stays K₀.",
        "运行结束时神经正切核本身的变化：理论假设它始终为 K₀。",
    ),
    "theory.kernel_seconds": ("kernel computed in {seconds:.2f} s", "核计算用时 {seconds:.2f} 秒"),
    "theory.predicted_at": ("predicted (this run)", "预测（本次运行内）"),
    "theory.needed": ("predicted steps needed", "预测所需步数"),
    "theory.needed_never": ("> 10¹⁵", "> 10¹⁵"),
    "theory.compare_gd": ("Compare with gradient descent", "与梯度下降对比"),
    "theory.compare_gd_help": (
        "Rerun the same network (same seed and learning rate) with full-batch gradient descent (sgd), for which the prediction is exact.",
        "用全批量梯度下降（sgd）重新训练同一个网络（相同种子与学习率）；对它而言预测是精确的。",
    ),
    "theory.gd_title": ("The same network under gradient descent", "同一网络的梯度下降训练"),
    "oned.error.formula": ("{setting}: {formula}", "{setting}：{formula}"),
    "oned.error.quantize": ("{setting} must be 0 (continuous) or {rule}", "{setting} 须为 0（不量化）或{rule}"),
    "oned.error.silent_target": ("{setting} must have at least one non-zero amplitude", "{setting} 须至少有一个非零振幅"),
    "oned.error.no_peak_chosen": ("{setting}: choose at least one peak to track", "{setting}：请至少选择一个要跟踪的峰"),
    "oned.error.no_peak": (
        "{setting}: the target has no spectral peak among the first {n_freq} DFT indices; raise spectrum.n_freq or change the target",
        "{setting}：目标在前 {n_freq} 个 DFT 序号内没有频谱峰；请增大 spectrum.n_freq 或修改目标",
    ),
    "oned.error.silent_peak": (
        "{setting}: a tracked index has (almost) zero target amplitude, so its relative error is undefined",
        "{setting}：某个跟踪的频率序号处目标振幅（几乎）为零，相对误差无定义",
    ),
}
