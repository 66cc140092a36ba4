"""有事您找我's words: what residents, property staff and the community read of a company's turn."""

from __future__ import annotations

# The resident's receipt: who has the ticket first, and who steps in.
HANDED = "已转交 {company}{desk}先行处理，{window}内未接单由社区兜底"
DESK = "（物业服务中心 {phone}）"
# The company's staff: a card with 抢单, privately (the resident's phone comes with the claim).
CARD = (
    "【有事您找我 · 物业工单 #{id}】{category}\n{description}\n区域：{area}\n"
    "请在 {until} 前抢单，未接单将转社区兜底。"
)
CARD_GONE = "【物业工单 #{id} · 已转社区】{category}\n{why}，已由社区兜底处理，您无需再办理。"
WHY_UNCLAIMED = "未在{window}内接单"
WHY_OVERDUE = "接单后未在{window}内办结"
# The community (the level the ticket goes to), with a 抢单 button.
BACKSTOP = (
    "【有事您找我 · 社区兜底】工单 #{id} {category}\n{description}\n区域：{area}\n"
    "物业：{company}，{why}{handler}。请社区接手（抢单）。"
)
BACKSTOP_HANDLER = "（经办人 {name}）"
R_BACKSTOP = "工单 #{id}：{company}{why}，已由{level}兜底处理，网格员接单后会告诉您。"
W_BACKSTOP = "工单 #{id} {why}，已转社区兜底，您无需再办理。"
# The audit trail (history) of the event.
HISTORY = {"unclaimed": "：物业{window}内未接单，转社区兜底", "overdue": "：物业未按时办结，转社区兜底"}
# /stats, the office statistics and the weekly workbook.
STATS_HEADER = "有事您找我（物业先行）："
STATS_LINE = (
    "{company}：{routed} 件，接单 {claimed}（响应率 {response}），办结 {resolved}，"
    "双是 {double_yes}（{double_yes_rate}），转社区兜底 {backstopped}"
)
STATS_NONE = "有事您找我（物业先行）：本期没有物业工单。"
SHEET = "物业"
COLUMNS = ("物业公司", "物业工单", "物业接单", "响应率", "物业办结", "双是", "双是率", "转社区兜底")
