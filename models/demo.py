"""The built-in demo subdistrict (北苑街道) and category tree, taken from the seeds."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .tables import Area, AreaLevel, Category, Tier

SUBDISTRICT = ("beiyuan", "北苑街道", 29.3400, 120.0800)
DEPARTMENTS = [
    ("dept-cg", "城市管理办公室"),
    ("dept-zj", "住房和物业管理科"),
    ("dept-zz", "综治（矛盾调解）中心"),
    ("dept-mz", "民生服务中心"),
    ("dept-aq", "平安建设办公室"),
]
# (code, name, [(grid code, grid name, lat, lon)])
COMMUNITIES = [
    (
        "siji",
        "四季社区",
        [("siji-1", "第一网格", 29.3450, 120.0750), ("siji-2", "第二网格", 29.3480, 120.0800)],
    ),
    (
        "jingfa",
        "经发社区",
        [("jingfa-1", "第一网格", 29.3380, 120.0900), ("jingfa-2", "第二网格", 29.3350, 120.0950)],
    ),
    ("wangdao", "望道社区", [("wangdao-1", "第一网格", 29.3300, 120.0700)]),
    ("yongjun", "拥军社区", [("yongjun-1", "第一网格", 29.3520, 120.0650)]),
    ("danxi", "丹溪社区", [("danxi-1", "第一网格", 29.3250, 120.0850)]),
]
# (code, name, parent, default tier, department)
CATEGORIES = [
    ("city", "大城管", None, Tier.SIMPLE, "dept-cg"),
    ("road", "道路破损", "city", Tier.SIMPLE, "dept-cg"),
    ("parking", "违章停车", "city", Tier.SIMPLE, "dept-cg"),
    ("sanitation", "环境卫生", "city", Tier.SIMPLE, "dept-cg"),
    ("greening", "绿化", "city", Tier.SIMPLE, "dept-cg"),
    ("facility", "设施缺失", "city", Tier.DIFFICULT, "dept-cg"),
    ("housing", "住房物业", None, Tier.DIFFICULT, "dept-zj"),
    ("utilities", "水电气暖", "housing", Tier.SIMPLE, "dept-zj"),
    ("elevator", "电梯", "housing", Tier.DIFFICULT, "dept-zj"),
    ("property", "物业服务", "housing", Tier.DIFFICULT, "dept-zj"),
    ("repair", "房屋维修", "housing", Tier.DIFFICULT, "dept-zj"),
    ("dispute", "矛盾纠纷", None, Tier.DIFFICULT, "dept-zz"),
    ("livelihood", "民生服务", None, Tier.SIMPLE, "dept-mz"),
    ("safety", "公共安全", None, Tier.SIMPLE, "dept-aq"),
    ("idea", "建议 金点子", None, Tier.NONE, "dept-mz"),
    ("other", "其他", None, Tier.SIMPLE, "dept-mz"),
]


def seed(session: Session) -> bool:
    """Create the demo territory and categories unless areas already exist."""
    if session.scalar(select(Area.id).limit(1)) is not None:
        return False
    code, name, lat, lon = SUBDISTRICT
    top = Area(code=code, name=name, level=AreaLevel.SUBDISTRICT, lat=lat, lon=lon)
    session.add(top)
    session.flush()
    for dcode, dname in DEPARTMENTS:
        session.add(Area(code=dcode, name=dname, level=AreaLevel.DEPARTMENT, parent_id=top.id))
    for ccode, cname, grids in COMMUNITIES:
        community = Area(code=ccode, name=cname, level=AreaLevel.COMMUNITY, parent_id=top.id)
        session.add(community)
        session.flush()
        for gcode, gname, glat, glon in grids:
            session.add(
                Area(code=gcode, name=gname, level=AreaLevel.GRID, parent_id=community.id, lat=glat, lon=glon)
            )
    if session.scalar(select(Category.id).limit(1)) is None:
        for pos, (ccode, cname, parent, tier, dept) in enumerate(CATEGORIES):
            session.add(
                Category(
                    code=ccode,
                    name=cname,
                    parent_code=parent,
                    default_tier=tier,
                    department_code=dept,
                    position=pos,
                )
            )
    session.flush()
    return True
