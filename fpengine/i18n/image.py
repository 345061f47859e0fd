"""Strings of the 2-D image page (Fig 1.7): picture loading messages, controls, views."""

STRINGS: dict[str, tuple[str, str]] = {
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
        "在此分辨率下图片只有 {width}×{height} 像素；每条边至少需要 {minimum} 像素。"
        "请选择更高的分辨率或不那么细长的图片。",
    ),
    "image.error.flat": (
        "The picture is a single flat colour: there is nothing to fit.",
        "图片是单一的纯色：没有可拟合的内容。",
    ),
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
