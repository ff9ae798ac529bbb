"""The source's practices, as the things a diagnosis can recommend.

Each practice is one of the leading branches' habits in the source text (树典型 of the four
branches); the diagnosis recommends a practice when the lagging branch loses where that
practice would have won the business. The words themselves are in the message files
(``programme.recommend.<practice>``), Chinese first.
"""

from __future__ import annotations

from enum import StrEnum


class Practice(StrEnum):
    """A practice of the leading branches in the source text."""

    # 大堂引导员协助取号，进行第一次分流 (连云港东海城中)
    GREETER_TRIAGE = "greeter_triage"
    # 服务专员、大堂经理在厅堂内主动询问，进行第二次分流
    HALL_TRIAGE = "hall_triage"
    # 增加一名大堂经理作为智能柜台服务专员 (连云港东海城中; 常州龙锦路 had none)
    SPECIALIST_STAFFING = "specialist_staffing"
    # 柜员在接待客户时对可迁业务再宣传，进行第三次分流
    TELLER_REPROMOTION = "teller_repromotion"
    # 引导话术、员工先体验 (南通开发区, 镇江丹阳新市口)
    GUIDANCE = "guidance"
    # 柜员先将现金存入客户卡内，再转介至智能柜台办理非现金业务
    CASH_SPLIT = "cash_split"
    # 对于客户年龄偏大的，多一份耐心
    ELDERLY_CARE = "elderly_care"
    # 可迁业务全部在智能柜台办理 (南通开发区)
    FULL_CATALOGUE = "full_catalogue"
    # 指定一名高柜柜员作为后备，在智能柜台业务忙时协助服务专员；提示等待时间
    DEVICE_CAPACITY = "device_capacity"
    # 对本次分流不成功的，引导客户下次办业务时使用智能柜台
    FOLLOW_UP = "follow_up"


# Why migratable business stayed at a teller window → the practice that addresses it.
REASON_PRACTICE: dict[str, Practice] = {
    "with_cash": Practice.CASH_SPLIT,
    "elderly_unable": Practice.ELDERLY_CARE,
    "not_supported": Practice.FULL_CATALOGUE,
    "device_busy": Practice.DEVICE_CAPACITY,
    "device_fault": Practice.DEVICE_CAPACITY,
    "customer_declined": Practice.GUIDANCE,
}

# The triage stage whose coverage a practice raises.
STAGE_PRACTICE: dict[int, Practice] = {
    1: Practice.GREETER_TRIAGE,
    2: Practice.HALL_TRIAGE,
    3: Practice.TELLER_REPROMOTION,
}
