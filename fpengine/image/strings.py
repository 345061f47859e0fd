"""Strings of the 2-D image page (Fig 1.7): picture loading messages, controls, views."""

STRINGS: dict[str, tuple[str, str]] = {
    "image.error.unusable": ("{setting} {image!r} cannot be used: {detail}", "{setting} {image!r} 无法使用：{detail}"),
    "image.error.empty-file": ("The file is empty.", "文件是空的。"),
    "image.error.file-too-large": (
        "The file is {size} MB; the limit is {limit} MB.",
        "文件大小为 {size} MB，上限为 {limit} MB。",
    ),
    "image.error.not-an-image": (
        "This file is not a picture that can be read here (supported: {formats}).",
        "无法读取该文件：它不是受支持的图片（支持：{formats}）。",
    ),
    "image.error.too-many-pixels": (
        "The picture is too large to decode safely (over {limit} megapixels).",
        "图片过大，无法安全解码（超过 {limit} 百万像素）。",
    ),
    "image.error.too-much-memory": (
        "The picture ({width}×{height}) would take {size} MB of memory to decode; the limit is {limit} MB: "
        "save it smaller or as an ordinary JPEG.",
        "该图片（{width}×{height}）解码需要 {size} MB 内存，上限为 {limit} MB：请保存为更小的图片或普通 JPEG。",
    ),
    "image.error.too-many-scans": (
        "The JPEG has more than {limit} progressive scans: save it again as an ordinary JPEG.",
        "该 JPEG 的渐进扫描超过 {limit} 个：请重新保存为普通 JPEG。",
    ),
    "image.error.empty-image": ("The picture has no pixels (zero width or height).", "图片没有像素（宽或高为零）。"),
    "image.error.truncated": (
        "The picture file is cut short (truncated); upload the complete file.",
        "图片文件不完整（被截断）；请上传完整的文件。",
    ),
    "image.error.corrupt": ("The picture file is damaged and cannot be decoded.", "图片文件已损坏，无法解码。"),
    "image.error.too-small": (
        "The picture is only {width}×{height} pixels; each side needs at least {minimum}.",
        "图片只有 {width}×{height} 像素；每条边至少需要 {minimum} 像素。",
    ),
    "image.error.too-thin": (
        "At this resolution the picture would be only {width}×{height} pixels; each side needs at least "
        "{minimum}. Choose a larger resolution or a less elongated picture.",
        "在此分辨率下图片只有 {width}×{height} 像素；每条边至少需要 {minimum} 像素。请选择更高的分辨率或不那么细长的图片。",
    ),
    "image.error.flat": (
        "The picture is a single flat colour: there is nothing to fit.",
        "图片是单一的纯色：没有可拟合的内容。",
    ),
    "image.setting.unknown_picture": (
        "{setting} must be a picture file or {rule}",
        "{setting} 须为图片文件或{rule}",
    ),
    "image.setting.upload_gone": (
        "{setting}: the uploaded picture is no longer in memory; upload it again",
        "{setting}：上传的图片已不在内存中，请重新上传",
    ),
    "image.setting.unreadable": ("{setting}: the file cannot be read ({reason})", "{setting}：无法读取该文件（{reason}）"),
    "image.note.palette": ("Palette (indexed-colour) picture converted to full colour.", "调色板（索引色）图片已转换为全彩色。"),
    "image.note.cmyk": ("CMYK picture converted to RGB.", "CMYK 图片已转换为 RGB。"),
    "image.note.high-bit-depth": (
        "High bit-depth picture (16-bit or float) scaled to the range 0–1.",
        "高位深图片（16 位或浮点）已缩放到 0–1 范围。",
    ),
    "image.note.transparency": ("Transparent areas flattened onto white.", "透明区域已合成到白色背景上。"),
    "image.note.first-frame": ("Animated or multi-page file: the first frame is used.", "动画或多页文件：使用第一帧。"),
    "image.note.rotated": ("Turned upright from the camera's orientation tag (EXIF).", "已按相机的方向标记（EXIF）摆正。"),
}

STRINGS.update(
    {
        "image-fit.title": ("Fig 1.7 · Fitting a picture", "图 1.7 · 拟合一张图片"),
        "image-fit.description": (
            "A network maps pixel coordinates to brightness: a blurry blob first, edges and hair last.",
            "网络把像素坐标映射为亮度：先是模糊的一团，边缘和发丝最后才出现。",
        ),
        "image-fit.intro": (
            "A fully connected network learns the map (x, y) → grey value (or RGB) of a picture, all pixels "
            "at once. Early on it draws a blurry blob; edges and fine detail arrive last. The heatmap shows why: "
            "the relative error of the picture's 2-D spectrum in rings of radial frequency |f| (cycles per "
            "pixel), low bands at the bottom, clears from low to high.",
            "全连接网络学习图片的映射 (x, y) → 灰度（或 RGB），一次使用全部像素。训练早期它画出模糊的一团；"
            "边缘和细节最后才出现。热图说明了原因：图片二维频谱在径向频率 |f|（每像素周期数）各环带中的相对误差，"
            "低频带在下方，由低到高依次变小。",
        ),
        "image.view.target": ("target", "目标"),
        "image.view.output": ("network", "网络输出"),
        "image.view.heatmap": ("Relative error per frequency band over training", "训练过程中各频带的相对误差"),
        "image.view.heatmap_help": (
            "Rows are rings of the 2-D spectrum, |f| in cycles per pixel, low at the bottom. Red = small error "
            "(≤ 0.1), blue = large (≥ 1); black ticks mark where a band converged (below ε until the end).",
            "每一行是二维频谱的一个环带，|f| 单位为每像素周期数，低频在下。红色 = 误差小（≤ 0.1），蓝色 = 误差大（≥ 1）；"
            "黑色刻度标出频带收敛的位置（此后一直低于 ε）。",
        ),
        "image.view.band_curves": ("Band errors", "各频带误差"),
        "image.view.psnr": ("Picture quality (PSNR)", "图片质量（PSNR）"),
        "image.view.spectra": ("2-D spectrum log₁₀|DFT| (zero frequency in the centre)", "二维频谱 log₁₀|DFT|（零频在中心）"),
        "image.chart.band": ("band |f| (cycles/pixel)", "频带 |f|（每像素周期数）"),
        "image.chart.psnr_all": ("all pixels", "全部像素"),
        "image.chart.psnr_held_out": ("held-out columns", "留出的列"),
        "image.picture": ("Picture", "图片"),
        "image.source": ("Picture", "图片来源"),
        "image.source.zone-plate": ("Zone plate (frequency grows with radius)", "波带片（频率随半径增大）"),
        "image.source.astronaut": ("Photo: a portrait (NASA, public domain)", "照片：人像（NASA，公有领域）"),
        "image.source.china": ("Photo: temple (scikit-learn)", "照片：寺庙（scikit-learn）"),
        "image.source.flower": ("Photo: flower (scikit-learn)", "照片：花（scikit-learn）"),
        "image.source.upload": ("My own picture (upload)", "我自己的图片（上传）"),
        "image.upload": ("Upload a picture", "上传图片"),
        "image.upload_help": (
            "JPEG, PNG, WebP, BMP, GIF (first frame) or TIFF. It is processed in memory and never stored on the server unless you export.",
            "JPEG、PNG、WebP、BMP、GIF（第一帧）或 TIFF。图片只在内存中处理，除非你导出，否则不会保存在服务器上。",
        ),
        "image.upload_first": ("Upload a picture or take a photo to train on it.", "请先上传图片或拍一张照片再训练。"),
        "image.upload_failed": ("{name}: {reason} The previous picture is kept.", "{name}：{reason}已保留之前的图片。"),
        "image.forget": ("Forget my photo", "忘记我的照片"),
        "image.forgotten": ("Your photo was removed from memory.", "你的照片已从内存中删除。"),
        "image.private_run": (
            "Runs on your own photo are not saved on the server, and only this browser can watch or stop them; "
            "use the downloads below to keep them.",
            "基于你自己照片的运行不会保存在服务器上，且只有本浏览器能查看或停止它们；如需保留，请使用下方的下载。",
        ),
        "image.camera": ("Take a photo", "拍一张照片"),
        "image.camera_help": (
            'Your camera\'s photo is processed in memory like an upload and never stored on the server; "Forget my photo" removes it.',
            "摄像头拍的照片与上传的图片一样只在内存中处理，不会保存在服务器上；“忘记我的照片”会删除它。",
        ),
        "image.camera_photo": ("Camera photo", "摄像头照片"),
        "image.camera_insecure": (
            "Browsers allow the camera only on pages served over HTTPS or from this computer (localhost), "
            "and this page is neither: upload a photo instead.",
            "浏览器只允许通过 HTTPS 或本机（localhost）访问的页面使用摄像头，而本页两者都不是：请改为上传照片。",
        ),
        "image.long_side": ("Resolution (long side, pixels)", "分辨率（长边像素数）"),
        "image.estimate": (
            "{height}×{width} pixels · about {ms:,.1f} ms per step on {device}, ≈ {total} for {steps:,} steps",
            "{height}×{width} 像素 · 在 {device} 上每步约 {ms:,.1f} 毫秒，{steps:,} 步约 {total}",
        ),
        "image.slow": (
            "This is slow on this device; 48–64 pixels is the CPU-friendly choice.",
            "在此设备上会很慢；CPU 上建议 48–64 像素。",
        ),
        "image.colour": ("Colour", "颜色"),
        "image.colour.grey": ("Grey (1 output)", "灰度（1 个输出）"),
        "image.colour.rgb": ("RGB (3 outputs)", "RGB（3 个输出）"),
        "image.hold_out": ("Hold out every second column (generalisation)", "留出每隔一列（泛化）"),
        "image.hold_out_help": (
            "Train on the even columns only and see how the network fills in the others (the book's cat notebook).",
            "只用偶数列训练，观察网络如何补全其余列（原书的猫图笔记本）。",
        ),
        "image.encoding": ("Input encoding", "输入编码"),
        "image.encoding.kind": ("Encoding", "编码方式"),
        "image.encoding.none": ("Plain coordinates (x, y)", "原始坐标 (x, y)"),
        "image.encoding.fourier": ("Random Fourier features (defeats the F-Principle)", "随机傅里叶特征（打破频率原则）"),
        "image.encoding.multiscale": ("Multi-scale first layer (MscaleDNN)", "多尺度第一层（MscaleDNN）"),
        "image.encoding_help": (
            "Fourier features and a multi-scale layer shift high frequencies down for the network, so the "
            "detail arrives much sooner: compare the heatmaps.",
            "傅里叶特征和多尺度层把高频“搬”到网络擅长的低频，细节会早得多出现：对比热图即可看出。",
        ),
        "image.input_scale": ("Input scale s (coordinates in [−s, s]²)", "输入缩放 s（坐标范围 [−s, s]²）"),
        "image.input_scale_help": (
            "With tanh and a large scale (e.g. 10) the chapter's radial streaks appear.",
            "使用 tanh 和较大的缩放（如 10）时会出现原书中的放射状条纹。",
        ),
        "image.fourier_features": ("Number of Fourier features", "傅里叶特征数量"),
        "image.fourier_sigma": ("Fourier frequency spread σ (cycles per unit)", "傅里叶频率标准差 σ（每单位周期数）"),
        "image.scales": ("Number of scales (1, 2, 4, …)", "尺度个数（1, 2, 4, …）"),
        "image.schedule": ("Learning-rate schedule", "学习率调度"),
        "image.schedule.cosine": ("Cosine decay to 0", "余弦衰减到 0"),
        "image.schedule.constant": ("Constant", "恒定"),
        "image.bands": ("Frequency bands", "频带"),
        "image.edges": ("Band edges |f| (cycles per pixel)", "频带边界 |f|（每像素周期数）"),
        "image.edges_help": (
            "Comma-separated, increasing, below 0.707. Empty: scaled to the picture (the zone plate's four rings; "
            "0.05, 0.15, 0.3 for photos).",
            "用逗号分隔、递增、小于 0.707。留空：随图片而定（波带片的四个圆环；照片为 0.05、0.15、0.3）。",
        ),
        "image.snapshot_steps_help": (
            "Empty: the chapter's 4000 / 8000 / 36000 scaled to the run length.",
            "留空：按运行长度缩放原书的 4000 / 8000 / 36000 步。",
        ),
        "image.preview": ("Training target", "训练目标"),
        "image.current": ("Network now (step {step:,})", "当前网络输出（第 {step:,} 步）"),
        "image.held_out_note": ("Odd columns are held out: the network never sees them.", "奇数列被留出：网络从未见过它们。"),
        "image.export.strip": ("Snapshot strip (.png)", "快照条（.png）"),
        "image.export.gif": ("Whole run (animated .gif)", "整个运行（动画 .gif）"),
        "image.export.csv": ("Metrics (.csv)", "指标（.csv）"),
        "image.metric.psnr": ("PSNR", "PSNR"),
        "image.band_table": ("band", "频带"),
    }
)
