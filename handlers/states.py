"""Every state a chat's dialog can be in: idle, a step of the report, a worker's wait."""

from __future__ import annotations

from enum import StrEnum

from models.tables import IDLE


class Step(StrEnum):
    """The dialog states, stored in the dialog row; the one list of them."""

    IDLE = IDLE  # in no flow
    # The report (handlers/report/).
    PROXY_NAME = "proxy_name"
    PROXY_SOURCE = "proxy_source"
    CATEGORY = "category"
    SUBCATEGORY = "subcategory"
    SUBITEM = "subitem"  # the third level of the catalogue (category -> item -> sub-item)
    DESCRIPTION = "description"
    PHOTO = "photo"
    LOCATION = "location"
    COMMUNITY = "community"
    GRID_PICK = "grid_pick"  # a typed address that names several grids: the resident picks
    PHONE = "phone"
    CONFIRM = "confirm"
    # A worker's (handlers/staff.py).
    AWAIT_RESULT_PHOTO = "await_result_photo"  # 办结 was sent: a photo next is the result


# The steps of a report, in the order they are usually asked.
REPORT: tuple[Step, ...] = tuple(s for s in Step if s not in (Step.IDLE, Step.AWAIT_RESULT_PHOTO))
