"""Chinese for the engine's validation messages.

The engine's messages are English and name the setting first ("training.lr: must be greater than
0 and at most 10"): the CLI prints them as they are. The UI shows the part after the setting's name
in the visitor's language; the setting's name itself stays, since it is the key a researcher types.
A phrase without a rule here is shown in English rather than guessed.
"""

from __future__ import annotations

import re

# (English phrase as a full-match pattern, Chinese template); more specific phrases come first
PHRASES: tuple[tuple[str, str], ...] = (
    (r"must be 0 \(continuous\) or between (?P<a>\S+) and (?P<b>\S+)", "须为 0（连续）或在 {a} 到 {b} 之间"),
    (r"must be between 0 \(automatic\) and the steps", "须在 0（自动）到训练步数之间"),
    (r"must be between (?P<a>\S+) and samples/2 \((?P<b>.+)\)", "须在 {a} 到样本数的一半（{b}）之间"),
    (r"must be between (?P<a>\S+) and n_train", "须在 {a} 到 n_train 之间"),
    (r"must be between (?P<a>\S+) and (?P<b>\S+) \(the first layer's width\)", "须在 {a} 到 {b}（第一层宽度）之间"),
    (r"must be between (?P<a>\S+) and (?P<b>\S+) for (?P<what>.+)", "对 {what} 须在 {a} 到 {b} 之间"),
    (r"must be between (?P<a>\S+) and (?P<b>\S+?)( pixels)?", "须在 {a} 到 {b} 之间"),
    (r"must be between (?P<a>\S+) and (?P<b>\S+) \(or none: automatic\)", "须在 {a} 到 {b} 之间（留空则自动）"),
    (r"must be greater than (?P<a>\S+) and at most (?P<b>\S+)", "须大于 {a} 且不超过 {b}"),
    (r"must be greater than (?P<a>\S+) and less than (?P<b>\S+)", "须大于 {a} 且小于 {b}"),
    (r"must be greater than (?P<a>.+)", "须大于 {a}"),
    (r"must be in (?P<interval>[\[(].+[\])])", "须在区间 {interval} 内"),
    (r"each index must be in (?P<interval>.+)", "每个序号须在区间 {interval} 内"),
    (r"each width must be between (?P<a>\S+) and (?P<b>\S+)", "每层宽度须在 {a} 到 {b} 之间"),
    (r"each frequency must be between (?P<a>\S+) and (?P<b>\S+)", "每个频率须在 {a} 到 {b} 之间"),
    (r"each amplitude must be between (?P<a>\S+) and (?P<b>\S+)", "每个振幅须在 {a} 到 {b} 之间"),
    (r"each edge must be greater than (?P<a>\S+) and less than (?P<b>\S+) cycles per pixel",
     "每个分界须大于每像素 {a} 周且小于 {b} 周"),
    (r"each phase must be between (?P<a>\S+) and (?P<b>\S+)", "每个相位须在 {a} 到 {b} 之间"),
    (r"each step must be between 0 and the number of steps \((?P<n>.+)\)", "每个步数须在 0 到训练步数（{n}）之间"),
    (r"steps must not be negative \(steps after the end of training are never reached\)",
     "步数不能为负（超过训练结束的步数永远不会到达）"),
    (r"give between (?P<a>\d+) and (?P<b>\S+) frequencies", "请给出 {a} 到 {b} 个频率"),
    (r"give one amplitude per frequency \((?P<n>.+)\)", "每个频率需要一个振幅（共 {n} 个）"),
    (r"give one phase per frequency, or none", "每个频率一个相位，或全部留空"),
    (r"the target has no spectral peak in the shown range; raise spectrum\.n_freq or change the target",
     "目标在显示范围内没有频谱峰；请增大 spectrum.n_freq 或修改目标"),
    (r"a tracked index has \(almost\) zero target amplitude, so its relative error is undefined",
     "某个跟踪的频率序号处目标振幅（几乎）为零，相对误差无定义"),
    (r"each multiple must be between (?P<a>\S+) and (?P<b>\S+)", "每个倍数须在 {a} 到 {b} 之间"),
    (r"each δ must be between (?P<a>\S+) and (?P<b>\S+)", "每个 δ 须在 {a} 到 {b} 之间"),
    (r"δ is too small for these inputs: the kernel reaches no neighbour, so the labels have no high-frequency part; "
     r"use δ of at least (?P<n>\S+) \(an eighth of the median nearest-neighbour squared distance\)",
     "δ 对这些输入过小：核函数够不到任何近邻，标签没有高频部分；请使用不小于 {n} 的 δ（最近邻平方距离中位数的八分之一）"),
    (r"the label spectrum has no peak up to k_max; raise k_max or leave it automatic",
     "标签频谱在 k_max 以内没有峰；请增大 k_max 或设为自动"),
    (r"this class does not occur in the training set, so its spectrum is zero", "训练集中没有这个类别，其频谱为零"),
    (r"choose a built-in picture \((?P<names>.+)\) or a file", "请选择内置图片（{names}）或文件"),
    (r"choose from (?P<names>.+)", "可选：{names}"),
    (r"choose (?P<a>\w+) or (?P<b>\w+)", "请选择 {a} 或 {b}"),
    (r"give between (?P<a>\d+) and (?P<b>\d+) hidden layers", "隐藏层数须在 {a} 到 {b} 之间"),
    (r"give between (?P<a>\d+) and (?P<b>\d+) values of δ", "请给出 {a} 到 {b} 个 δ 值"),
    (r"give at most (?P<n>\d+) edges \(none: scaled to the picture\)", "最多 {n} 个分界（留空则按图片缩放）"),
    (r"at most (?P<n>\d+) snapshots", "最多 {n} 个快照"),
    (r"track at most (?P<n>\d+) frequencies", "最多跟踪 {n} 个频率"),
    (r"grid\.hi − grid\.lo \(the domain's width\) must be at most (?P<n>\S+)", "grid.hi − grid.lo（区间宽度）不能超过 {n}"),
    (r"the CNN needs images of at least (?P<size>\S+) pixels", "CNN 需要至少 {size} 像素的图像"),
    (r"a class 0–9, or none for the vector norm", "填 0–9 中的一个类别，或留空使用向量范数"),
    (r"edges must increase", "分界须递增"),
    (r"at least one amplitude must be non-zero", "至少一个振幅不能为零"),
    (r"an index is listed twice", "有序号重复"),
    (r"a δ is listed twice", "有 δ 值重复"),
    (r"a frequency is listed twice", "有频率重复"),
    (r"expected a whole number, got (?P<v>.+)", "应为整数，收到 {v}"),
    (r"expected a number, got (?P<v>.+)", "应为数字，收到 {v}"),
    (r"expected a finite number, got (?P<v>.+)", "应为有限数字（不能是 nan 或 inf），收到 {v}"),
    (r"a list item is empty", "列表中有空项"),
    # FPENGINE_* environment settings of the server (fpengine.settings.environment)
    (r"must be a whole number of at least (?P<a>\S+)", "须为不小于 {a} 的整数"),
    (r"must be a number of at least (?P<a>\S+)", "须为不小于 {a} 的有限数字"),
    (r"must be 1 or 0 \(or true/false, yes/no, on/off\)", "须为 1 或 0（也可写 true/false、yes/no、on/off）"),
    (r"expected true or false, got (?P<v>.+)", "应为 true 或 false，收到 {v}"),
    (r"expected text, got (?P<v>.+)", "应为文本，收到 {v}"),
    (r"expected a list, got (?P<v>.+)", "应为列表，收到 {v}"),
    (r"unknown setting \(known: (?P<names>.+)\)", "未知设置（可用：{names}）"),
    (r"unknown setting", "未知设置"),
    (r"(?P<name>\S+) has no sub-settings", "{name} 没有子设置"),
    (r"is a group; set one of its fields, e\.g\. (?P<example>.+)", "是一组设置，请设置其中一项，例如 {example}"),
    (r"expected a group of settings, got (?P<v>.+)", "应为一组设置，收到 {v}"),
    (r"the uploaded picture is no longer in memory; upload it again", "上传的图片已不在内存中，请重新上传"),
    (r"(?P<name>.+) is neither a built-in picture \((?P<names>.+)\) nor a file",
     "{name} 既不是内置图片（{names}）也不是文件"),
    # the safe formula evaluator's messages (fpengine.formula)
    (r"unknown name (?P<name>'.+') \(use x, pi, e\)", "未知名称 {name}（可用 x、pi、e）"),
    (r"(?P<name>'.+') is not an allowed function \(allowed: (?P<names>.+)\)", "{name} 不是允许的函数（可用：{names}）"),
    (r"(?P<name>\w+)\(\) takes plain arguments", "{name}() 只接受普通参数"),
    (r"(?P<name>\w+)\(\) takes (?P<n>\d+) argument\(s\), as in (?P<signature>.+)", "{name}() 需要 {n} 个参数，写法如 {signature}"),
    (r"the number (?P<number>.+) is too large \(at most (?P<limit>\S+)\)", "数字 {number} 过大（最大约 {limit}）"),
    (r"(?P<text>'.+') is not allowed in a formula", "公式中不允许出现 {text}"),
    (r"the formula is empty", "公式为空"),
    (r"the formula is too long \((?P<n>\d+) characters, at most (?P<limit>\d+)\)",
     "公式过长（{n} 个字符，最多 {limit}）"),
    (r"the formula is not valid syntax, e\.g\. (?P<example>.+)", "公式语法有误，例如 {example}"),
    (r"the formula is too complicated", "公式过于复杂"),
    (r"(?P<part>.+) is undefined at x = (?P<x>\S+) \(the formula fails at (?P<count>\d+) of (?P<total>\d+) grid points\)",
     "{part} 在 x = {x} 处无定义（公式在 {total} 个网格点中的 {count} 个上无法计算）"),
    (r"(?P<part>.+) is infinite at x = (?P<x>\S+) \(the formula fails at (?P<count>\d+) of (?P<total>\d+) grid points\)",
     "{part} 在 x = {x} 处为无穷大（公式在 {total} 个网格点中的 {count} 个上无法计算）"),
    (r"the formula reaches (?P<value>\S+) at x = (?P<x>\S+): a target must stay within ±(?P<limit>\S+) "
     r"\((?P<count>\d+) of (?P<total>\d+) grid points are beyond\)",
     "公式在 x = {x} 处达到 {value}：目标值须在 ±{limit} 以内（{total} 个网格点中有 {count} 个超出）"),
)

_COMPILED = tuple((re.compile(pattern), template) for pattern, template in PHRASES)
_SETTING = re.compile(r"(?P<setting>[A-Za-z_][\w.\[\]]*): (?P<phrase>.+)", re.S)
_ECHOED = re.compile(r"(?P<stem>.+) \(got (?P<value>.+)\)", re.S)
"""``check(…, value=v)`` appends the refused value as " (got v)" to any phrase."""


def translate_phrase(phrase: str) -> str | None:
    """The Chinese for one English phrase, or None when no rule matches it."""
    echoed = _ECHOED.fullmatch(phrase)
    if echoed:
        stem = translate_phrase(echoed["stem"])
        return None if stem is None else f"{stem}（收到 {echoed['value']}）"
    for pattern, template in _COMPILED:
        match = pattern.fullmatch(phrase)
        if match:
            return template.format(**match.groupdict())
    return None


def explain_setting_error(message: str, lang: str) -> str:
    """An engine validation message in ``lang``. Nested prefixes ("target.formula: the formula is
    empty") keep the setting's name and translate the phrase; unknown phrases stay English."""
    if lang != "zh":
        return message
    match = _SETTING.fullmatch(message)
    setting, phrase = (match["setting"], match["phrase"]) if match else (None, message)
    chinese = translate_phrase(phrase)
    if chinese is None:
        return message
    return f"{setting}：{chinese}" if setting else chinese
