"""Names of the synthetic network: Jiangsu's cities, branch names and staff names.

Names are drawn with numpy index arrays and joined with polars, so that a network of
10,000 branches and 100,000 staff is named without a Python loop per row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl


@dataclass(frozen=True)
class City:
    """A prefecture-level city of Jiangsu: the region of its branches."""

    name: str
    code: str
    weight: float  # share of the province's branches, roughly by population and economy


CITIES: tuple[City, ...] = (
    City("南京", "NJ", 0.12),
    City("无锡", "WX", 0.09),
    City("徐州", "XZ", 0.09),
    City("常州", "CZ", 0.07),
    City("苏州", "SZ", 0.14),
    City("南通", "NT", 0.09),
    City("连云港", "LYG", 0.05),
    City("淮安", "HA", 0.05),
    City("盐城", "YC", 0.07),
    City("扬州", "YZ", 0.06),
    City("镇江", "ZJ", 0.05),
    City("泰州", "TZ", 0.06),
    City("宿迁", "SQ", 0.05),
)

# County-level towns per city, for county branches' names (县域网点).
COUNTIES: dict[str, tuple[str, ...]] = {
    "南京": ("溧水", "高淳", "六合", "江宁"),
    "无锡": ("江阴", "宜兴"),
    "徐州": ("丰县", "沛县", "睢宁", "新沂", "邳州"),
    "常州": ("溧阳", "金坛"),
    "苏州": ("常熟", "张家港", "昆山", "太仓"),
    "南通": ("海安", "如东", "启东", "如皋", "海门"),
    "连云港": ("东海", "灌云", "灌南"),
    "淮安": ("涟水", "盱眙", "金湖"),
    "盐城": ("响水", "滨海", "阜宁", "射阳", "建湖", "东台"),
    "扬州": ("宝应", "仪征", "高邮"),
    "镇江": ("丹阳", "扬中", "句容"),
    "泰州": ("兴化", "靖江", "泰兴"),
    "宿迁": ("沭阳", "泗阳", "泗洪"),
}

STREETS: tuple[str, ...] = (
    "人民路",
    "解放路",
    "中山路",
    "建设路",
    "新华路",
    "和平路",
    "长江路",
    "黄河路",
    "文化路",
    "健康路",
    "青年路",
    "工农路",
    "胜利路",
    "朝阳路",
    "东风路",
    "幸福路",
    "光明路",
    "太湖路",
    "湖滨路",
    "滨江路",
    "运河路",
    "新市口",
    "龙锦路",
    "金山路",
    "凤凰路",
    "梧桐路",
    "香樟路",
    "丁香路",
    "紫金路",
    "钟山路",
    "北京路",
    "上海路",
    "珠江路",
    "学府路",
    "科技路",
    "创业路",
    "开发区",
    "高新区",
    "城中",
    "城南",
    "城北",
    "城东",
    "城西",
    "新城",
    "老街",
    "万达广场",
)

SURNAMES: tuple[str, ...] = (
    "王",
    "李",
    "张",
    "刘",
    "陈",
    "杨",
    "黄",
    "赵",
    "吴",
    "周",
    "徐",
    "孙",
    "马",
    "朱",
    "胡",
    "郭",
    "何",
    "高",
    "林",
    "罗",
    "郑",
    "梁",
    "谢",
    "宋",
    "唐",
    "许",
    "韩",
    "冯",
    "邓",
    "曹",
    "彭",
    "曾",
    "肖",
    "田",
    "董",
    "袁",
    "潘",
    "于",
    "蒋",
    "蔡",
    "余",
    "杜",
    "叶",
    "程",
    "苏",
    "魏",
    "吕",
    "丁",
    "任",
    "沈",
    "姚",
    "卢",
    "姜",
    "崔",
    "钟",
    "谭",
    "陆",
    "汪",
    "范",
    "金",
)

GIVEN: tuple[str, ...] = (
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "霞",
    "平",
    "刚",
    "桂英",
    "文",
    "华",
    "慧",
    "建国",
    "晨",
    "婷",
    "雪",
    "琳",
    "晓东",
    "海燕",
    "志强",
    "佳",
    "欣怡",
    "子涵",
    "宇轩",
    "浩然",
    "梦琪",
    "思远",
    "雨萱",
    "俊杰",
    "丹",
    "蕾",
    "健",
    "斌",
    "凯",
    "鹏",
    "亮",
    "倩",
    "颖",
    "玲",
    "燕",
    "萍",
    "红",
)

TYPE_SUFFIX: dict[str, str] = {
    "urban": "支行",
    "office": "支行营业部",
    "micro": "支行",
    "county": "支行",
}


def city_index(name: str) -> int:
    """Position of the city called ``name`` in CITIES."""
    return next(i for i, c in enumerate(CITIES) if c.name == name)


def branch_names(
    region: np.ndarray,
    branch_type: np.ndarray,
    type_names: tuple[str, ...],
    rng: np.random.Generator,
) -> pl.Series:
    """Chinese names of generic branches from their city and type, e.g. 南京中山路支行."""
    n = region.shape[0]
    city = pl.Series([c.name for c in CITIES]).gather(region)
    street = pl.Series(STREETS).gather(np.asarray(rng.integers(0, len(STREETS), size=n)))
    # County branches carry their county's name (东海城中支行): a random county of the city.
    flat = [name for c in CITIES for name in COUNTIES[c.name]]
    counts = np.array([len(COUNTIES[c.name]) for c in CITIES])
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pick = offsets[region] + (rng.random(n) * counts[region]).astype(np.int64)
    county = pl.Series(flat).gather(pick)
    suffix = pl.Series([TYPE_SUFFIX[t] for t in type_names]).gather(branch_type)
    is_county = pl.Series(branch_type == type_names.index("county"))
    frame = pl.DataFrame(
        {"city": city, "street": street, "county": county, "suffix": suffix, "k": is_county}
    )
    return frame.select(
        pl.when(pl.col("k"))
        .then(pl.concat_str([pl.col("county"), pl.col("street"), pl.col("suffix")]))
        .otherwise(pl.concat_str([pl.col("city"), pl.col("street"), pl.col("suffix")]))
        .alias("name")
    ).to_series()


def person_names(n: int, rng: np.random.Generator) -> pl.Series:
    """``n`` plausible Chinese personal names."""
    surname = pl.Series(SURNAMES).gather(rng.integers(0, len(SURNAMES), n))
    given = pl.Series(GIVEN).gather(rng.integers(0, len(GIVEN), n))
    return (
        pl.DataFrame({"s": surname, "g": given})
        .select(pl.concat_str(["s", "g"]).alias("name"))
        .to_series()
    )
