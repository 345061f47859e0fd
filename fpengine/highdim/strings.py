"""Strings of the high-dimensional pages: projection (Fig 1.10) and filtering (Fig 1.12)."""

STRINGS: dict[str, tuple[str, str]] = {
    # shared by both pages
    "highdim.data": ("Data", "数据"),
    "highdim.dataset": ("Dataset", "数据集"),
    "highdim.dataset.mnist-5k": ("MNIST, 5000 samples (offline)", "MNIST，5000 个样本（离线）"),
    "highdim.dataset.digits": ("8×8 digits, scikit-learn (offline)", "8×8 手写数字，scikit-learn（离线）"),
    "highdim.dataset.mnist": ("MNIST, full (download)", "MNIST 完整版（需下载）"),
    "highdim.dataset.fashion-mnist": ("Fashion-MNIST (download)", "Fashion-MNIST（需下载）"),
    "highdim.dataset.cifar10": ("CIFAR-10 (download)", "CIFAR-10（需下载）"),
    "highdim.n_train": ("Training samples", "训练样本数"),
    "highdim.n_train_help": (
        "The first samples of the training set are used (at most {limit:,} here).",
        "使用训练集的前若干个样本（此处最多 {limit:,} 个）。",
    ),
    "highdim.n_test": ("Test samples", "测试样本数"),
    "highdim.n_test_help": (
        "For the test accuracy; capped at the {limit:,} test images of the dataset.",
        "用于测试准确率；最多为该数据集的 {limit:,} 张测试图像。",
    ),
    "highdim.model": ("Architecture", "网络结构"),
    "highdim.model.dnn": ("DNN (fully connected)", "DNN（全连接）"),
    "highdim.model.cnn": ("CNN (the chapter's)", "CNN（本章所用）"),
    "highdim.model.vgg16": ("VGG16 (CIFAR form, BatchNorm)", "VGG16（CIFAR 版，含 BatchNorm）"),
    "highdim.activation_help": ("Used by the DNN and the CNN; VGG16 always uses ReLU.", "用于 DNN 和 CNN；VGG16 固定使用 ReLU。"),
    "highdim.batch_size": ("Batch size", "批大小"),
    "highdim.epochs": ("Epochs", "训练轮数（epoch）"),
    "highdim.evaluations": ("Measurements per epoch", "每轮测量次数"),
    "highdim.evaluations_help": (
        "How often the outputs on the training set are recorded; more gives a finer time axis early on.",
        "在训练集上记录输出的频率；次数越多，训练初期的时间分辨率越高。",
    ),
    "highdim.shuffle": ("Shuffle every epoch", "每轮打乱顺序"),
    "highdim.shuffle_help": ("The sources take the batches in order.", "原始代码按顺序取批次。"),
    "highdim.download_notice": (
        "{dataset} is not on this computer yet: pressing Start downloads it once (≈{mb:.0f} MB) and checks its checksum.",
        "本机尚无 {dataset}：按开始后将下载一次（约 {mb:.0f} MB）并校验其校验和。",
    ),
    "highdim.downloading": ("Downloading {file}: {done:.1f} of {total:.1f} MB", "正在下载 {file}：{done:.1f} / {total:.1f} MB"),
    "highdim.offline_hint": (
        "The dataset could not be downloaded (offline, or the download was corrupted and discarded). "
        "The offline datasets — MNIST with 5000 samples and the 8×8 digits — always work.",
        "无法下载该数据集（离线，或下载内容损坏已被丢弃）。离线数据集——5000 个样本的 MNIST 与 8×8 手写数字——始终可用。",
    ),
    "highdim.noisy_dataset": (
        "{dataset}: with only 1797 small images the projected spectrum is noisy and the nonzero peaks converge "
        "in mixed order. Prefer MNIST for this page.",
        "{dataset}：只有 1797 张小图，投影频谱噪声大，非零频率峰的收敛顺序混乱。本页建议使用 MNIST。",
    ),
    "highdim.slow_model": (
        "{model} is slow on a CPU (seconds to minutes per epoch). Keep the sample count small or use a GPU.",
        "{model} 在 CPU 上较慢（每轮数秒到数分钟）。请减少样本数或使用 GPU。",
    ),
    "highdim.tab_single": ("One run", "单次运行"),
    "highdim.tab_compare": ("Compare DNN · CNN · VGG16", "比较 DNN · CNN · VGG16"),
    "highdim.compare_idle": (
        "Trains the same settings with each architecture. The server trains {limit} run(s) at a time; the rest wait in line.",
        "用同一设置分别训练三种网络结构。服务器同时训练 {limit} 个运行，其余排队等待。",
    ),
    "highdim.epoch": ("epoch", "轮次（epoch）"),
    "highdim.accuracy": ("accuracy", "准确率"),
    "highdim.loss": ("cross-entropy loss", "交叉熵损失"),
    "highdim.train": ("train", "训练集"),
    "highdim.test": ("test", "测试集"),
    "highdim.error.cnn_image": (
        "{setting}: the CNN needs images of at least {side}×{side} pixels; {dataset} has {size}",
        "{setting}：CNN 需要至少 {side}×{side} 像素的图像；{dataset} 的图像为 {size}",
    ),
    # projection (Fig 1.10)
    "projection.title": ("Fig 1.10 · Projection method", "图 1.10 · 投影法"),
    "projection.description": (
        "Image classification: the labels' spectrum along the first principal direction, learned low frequency first.",
        "图像分类：沿第一主方向的标签频谱，网络先学会低频。",
    ),
    "projection.intro": (
        "An image has hundreds of dimensions, so its Fourier transform cannot be drawn. The projection method "
        "looks along one direction only: the first principal direction p₁ of the training images. With "
        "vᵢ = p₁·xᵢ, the spectrum of the labels is ŷ_k = (1/n) Σ yᵢ exp(−i2πk vᵢ) (a non-uniform DFT), and "
        "the network's softmax output gives ĥ_k the same way. ΔF_k = |ĥ_k − ŷ_k| / |ŷ_k| at the spectrum's "
        "peaks turns red lowest frequency first. k = 0 is the class frequency, right almost from the start.",
        "图像有成百上千维，无法画出其傅里叶变换。投影法只看一个方向：训练图像的第一主方向 p₁。令 vᵢ = p₁·xᵢ，"
        "标签的频谱为 ŷ_k = (1/n) Σ yᵢ exp(−i2πk vᵢ)（非均匀 DFT），网络的 softmax 输出同样给出 ĥ_k。"
        "频谱各峰处的 ΔF_k = |ĥ_k − ŷ_k| / |ŷ_k| 按频率由低到高依次变红。k = 0 即类别频率，几乎一开始就正确。",
    ),
    "projection.settings": ("Projection", "投影"),
    "projection.component": ("Label component", "标签分量"),
    "projection.component.norm": ("vector norm over all classes", "所有类别的向量范数"),
    "projection.component.class": ("class {c} ({name})", "第 {c} 类（{name}）"),
    "projection.component_help": (
        "The chapter's |ŷ₀| = 0.1 means one one-hot column was used (B: class 8, 'ship' in CIFAR-10); "
        "the norm over all ten columns starts at ≈0.32.",
        "原书中 |ŷ₀| = 0.1，说明只用了独热标签的一列（B：第 8 类，CIFAR-10 中为“船”）；十列的范数约为 0.32。",
    ),
    "projection.n_frequencies": ("Frequencies on the grid", "频率网格点数"),
    "projection.auto_range": ("Frequency range from the data", "由数据确定频率范围"),
    "projection.auto_range_help": (
        "k from 0 to 1.25/std(v): the range the chapter's panels show, whatever the pixel scale.",
        "k 取 0 到 1.25/std(v)：与原书各图的范围一致，与像素尺度无关。",
    ),
    "projection.k_max": ("Highest frequency k", "最高频率 k"),
    "projection.max_peaks": ("Peaks to track", "跟踪的峰数"),
    "projection.frequencies": ("Frequencies to track (optional)", "指定跟踪的频率（可选）"),
    "projection.frequencies_help": (
        "Comma-separated values of k, e.g. 0,0.1,0.2. Empty: the first peaks of the label spectrum, k = 0 first.",
        "用逗号分隔的 k 值，如 0,0.1,0.2。留空：标签频谱的前几个峰，k = 0 在先。",
    ),
    "projection.frequency": ("frequency k", "频率 k"),
    "projection.spectrum": ("|ŷ_k| along the first principal direction", "沿第一主方向的 |ŷ_k|"),
    "projection.noisy_peak": ("peak within the noise", "噪声内的峰"),
    "projection.preview": ("Label spectrum and picked peaks (before training)", "标签频谱与选中的峰（训练前）"),
    "projection.preview_failed": ("The label spectrum cannot be computed: {detail}", "无法计算标签频谱：{detail}"),
    "projection.noisy_peaks": (
        "The picked frequencies {frequencies} are within twice the sampling noise of the spectrum "
        "(≈ std(y)/√n): their ΔF divides by noise, so when they converge means little. Use more samples, "
        "another class, or pick frequencies on the main lobe by hand.",
        "选中的频率 {frequencies} 处幅值不到采样噪声（≈ std(y)/√n）的两倍：其 ΔF 的分母主要是噪声，"
        "收敛时间意义不大。请增加样本、换一个类别，或手动选择主瓣上的频率。",
    ),
    "projection.noisy_rows": (
        "Rows {frequencies} sit within the noise floor (grey rings in the spectrum).",
        "第 {frequencies} 行位于噪声水平之内（频谱中的灰圈）。",
    ),
    "projection.rows": ("Heatmap rows", "热图的行"),
    "projection.rows_help": (
        "Add or drop peaks of the label spectrum; ΔF is recorded at every frequency.",
        "可增删标签频谱的峰；每个频率的 ΔF 都有记录。",
    ),
    "projection.no_rows": ("Pick at least one frequency for the heatmap.", "请为热图至少选择一个频率。"),
    "projection.heatmap_help": (
        "ΔF_k over epochs, low k at the bottom. Red = small error (learned), blue = large. Ticks mark convergence.",
        "ΔF_k 随训练轮次的变化，低频在下。红色 = 误差小（已学会），蓝色 = 误差大。短线标出收敛时刻。",
    ),
    "projection.chapter_range": ("Chapter colour range 0.1–0.5", "原书配色范围 0.1–0.5"),
    "projection.chapter_range_help": ("Off: 0.1–1, as on the 1-D pages.", "关闭：0.1–1，与一维页面相同。"),
    "projection.error.absent_class": (
        "{setting}: this class does not occur among the first {n_train} training images, so its spectrum is zero; "
        "choose another class, more samples, or none (the vector norm)",
        "{setting}：前 {n_train} 张训练图像中没有这一类，其频谱为零；请换一个类别、增加样本，或留空（向量范数）",
    ),
    "projection.error.no_peak": (
        "{setting}: the label spectrum has no peak up to this k_max; raise it or leave it automatic (none)",
        "{setting}：在此 k_max 以下标签频谱没有峰；请调高它，或留空（自动）",
    ),
    # filtering (Fig 1.12)
    "filtering.title": ("Fig 1.12 · Filtering method", "图 1.12 · 滤波法"),
    "filtering.description": (
        "Image classification: a Gaussian low-pass over the dataset splits labels into low and high frequencies; e_low falls first.",
        "图像分类：数据集上的高斯低通滤波把标签分成低频和高频部分；e_low 先下降。",
    ),
    "filtering.intro": (
        "The filtering method smooths the labels over the dataset itself: y_low,i is the average of the labels of "
        "all training images, weighted by exp(−|xᵢ − xⱼ|²/(2δ)). That average keeps only the slowly varying "
        "(low-frequency) part; y_high = y − y_low is the rest. A larger δ smooths more and lowers the cut-off "
        "frequency. The same split of the network's softmax output gives e_low = ‖y_low − h_low‖/‖y_low‖ and "
        "e_high likewise: e_low turns red long before e_high.",
        "滤波法在数据集本身上平滑标签：y_low,i 是所有训练图像标签的加权平均，权重为 exp(−|xᵢ − xⱼ|²/(2δ))。"
        "这一平均只保留缓慢变化（低频）的部分；y_high = y − y_low 为其余部分。δ 越大，平滑越强，截止频率越低。"
        "对网络的 softmax 输出做同样的分解，得到 e_low = ‖y_low − h_low‖/‖y_low‖，e_high 同理：e_low 远早于 e_high 变红。",
    ),
    "filtering.settings": ("Filter δ", "滤波参数 δ"),
    "filtering.delta_mode": ("Values of δ", "δ 的取值"),
    "filtering.delta_mode.scaled": ("Scaled to the data", "按数据尺度"),
    "filtering.delta_mode.chapter": ("Chapter: 3, 7, 10", "原书：3、7、10"),
    "filtering.delta_mode.notebook": ("Notebook: 2 … 100 (20 values)", "课堂代码：2 … 100（20 个值）"),
    "filtering.delta_mode.custom": ("Custom", "自定义"),
    "filtering.delta_help": (
        "Scaled: multiples of the median squared distance from an image to its nearest neighbour. The chapter's "
        "and the notebook's values are meant for pixels in [0, 1] (the chapter's scaling is unknown).",
        "按数据尺度：取每张图像到最近邻距离平方的中位数的倍数。原书与课堂代码的取值针对 [0, 1] 像素（原书的缩放方式未知）。",
    ),
    "filtering.multiples": ("Multiples of the neighbour scale", "近邻尺度的倍数"),
    "filtering.custom_deltas": ("δ values (comma-separated)", "δ 的取值（逗号分隔）"),
    "filtering.epsilon_help": ("The tables report the first epoch at which each error falls below ε.", "表中给出各误差首次低于 ε 的轮次。"),
    "filtering.scale": (
        "Median nearest-neighbour squared distance of the training images: {scale}",
        "训练图像最近邻距离平方的中位数：{scale}",
    ),
    "filtering.warn_identity": (
        "δ = {delta} is far below the neighbour scale ({scale}): the kernel barely reaches any neighbour, so the "
        "“low” part is almost the labels themselves and e_low ≈ e_high.",
        "δ = {delta} 远小于近邻尺度（{scale}）：核几乎够不到任何近邻，“低频”部分几乎就是标签本身，e_low ≈ e_high。",
    ),
    "filtering.warn_mean": (
        "δ = {delta} is far above the neighbour scale ({scale}): the low part is almost the class frequencies, "
        "which the network learns in the first steps.",
        "δ = {delta} 远大于近邻尺度（{scale}）：低频部分几乎就是各类别的比例，网络在最初几步就能学会。",
    ),
    "filtering.curves": ("e_low (solid) and e_high (dashed)", "e_low（实线）与 e_high（虚线）"),
    "filtering.low_delta": ("low, δ={delta}", "低频，δ={delta}"),
    "filtering.high_delta": ("high, δ={delta}", "高频，δ={delta}"),
    "filtering.low": ("low freq", "低频"),
    "filtering.high": ("high freq", "高频"),
    "filtering.heatmap_title": ("Relative error, δ = {delta}", "相对误差，δ = {delta}"),
    "filtering.heatmap_help": (
        "Bottom row e_low, top row e_high (RdBu 0.1–1 as in the chapter): red = learned.",
        "下行为 e_low，上行为 e_high（与原书相同的 RdBu 0.1–1）：红色 = 已学会。",
    ),
    "filtering.table_title": ("First epoch below ε = {epsilon:g}", "首次低于 ε = {epsilon:g} 的轮次"),
    "filtering.low_epoch": ("e_low below ε at epoch", "e_low 低于 ε 的轮次"),
    "filtering.high_epoch": ("e_high below ε at epoch", "e_high 低于 ε 的轮次"),
    "filtering.compare_intro": (
        "The chapter shows the filtering picture for a DNN, a CNN and VGG16. Start all three with the settings "
        "on the left; the heatmaps show the δ chosen below.",
        "原书展示了 DNN、CNN 和 VGG16 的滤波结果。用左侧设置同时启动三者；热图显示下面所选的 δ。",
    ),
    "filtering.compare_delta": ("Which δ (0 = the first)", "显示第几个 δ（0 = 第一个）"),
    "filtering.compare_delta_help": ("Index into the list of δ of the runs.", "运行所用 δ 列表中的序号。"),
    "filtering.error.delta_too_small": (
        "{setting}: δ is too small for these inputs: the kernel reaches no neighbour, so the labels have no "
        "high-frequency part; use {setting} of at least {minimum} (δ of an eighth of the median nearest-neighbour "
        "squared distance, {scale})",
        "{setting}：δ 对这些输入过小：核够不到任何近邻，标签没有高频部分；{setting} 请至少取 {minimum}"
        "（δ 取最近邻距离平方中位数 {scale} 的八分之一）",
    ),
    "filtering.accuracies": ("Accuracy: train {train:.1%}, test {test:.1%}", "准确率：训练集 {train:.1%}，测试集 {test:.1%}"),
}
