"""The message catalogue: every sentence a resident, worker or admin reads (zh-CN)."""

from __future__ import annotations

from handlers.texts_office import OFFICE as OFFICE  # the office pages' words

# --- status and tier names -------------------------------------------------
STATUS = {
    "open": "待接单",
    "claimed": "办理中",
    "resolved": "已办结，待您确认",
    "closed": "已销号",
    "withdrawn": "已撤回",
    "rejected": "已驳回",
    "merged": "已合并",
    "returned": "已退回市级平台",
}
CARD_STATUS = {**STATUS, "resolved": "已办结，待居民确认"}
TIER = {
    "simple": "简单事项（1天内办结）",
    "difficult": "复杂事项（3天内办结）",
    "pending": "暂难解决事项（5天内出具初步方案）",
    "none": "建议类（不设办结时限）",
    "consult": "咨询（按工作日限时答复）",
}
TIER_SHORT = {"simple": "简单", "difficult": "复杂", "pending": "暂难解决", "none": "建议", "consult": "咨询"}
RATING = {"double_yes": "双是（已解决、满意）", "unsatisfied": "已解决但不满意", "unrated": "未评价"}
SOURCE = {
    "self": "本人反映",
    "visit": "夜访",
    "phone": "电话",
    "walkin": "来访",
    "other": "其他",
    "12345": "12345市级工单",
}
LEVEL = {0: "网格", 1: "社区", 2: "街道科室", 3: "街道领导"}

# --- menu and help ---------------------------------------------------------
BTN_REPORT = "📝 反映问题"
BTN_MY = "📋 我的工单"
BTN_HELP = "❓ 使用帮助"
BTN_BACK = "↩️ 返回上一步"
BTN_CANCEL = "✖️ 取消"
BTN_SKIP = "跳过"
BTN_SUBMIT = "✅ 确认提交"
BTN_GRAB = "🙋 抢单"
BTN_YES = "是"
BTN_NO = "否"
BTN_SATISFIED = "满意"
BTN_UNSATISFIED = "不满意"
BTN_SEND_LOCATION = "📍 发送位置"
BTN_SHARE_PHONE = "📱 分享手机号"

GREETING = (
    "您好！这里是{subdistrict}「接诉即办」服务。\n"
    "路面破损、违章停车、物业不回应、邻里纠纷……有事您找我，件件有落实，事事有回音。\n"
    "请选择："
)
UNKNOWN_COMMAND = "没有这个命令：{command}。发送 /help 查看可用命令。"
TOO_LONG = "消息太长了（最多 {limit} 字），请精简后再发。"
NOT_ADMIN = "该命令仅限管理员使用。"
NOT_STAFF = "该命令仅限网格员和管理员使用。如果您原是网格员，您的授权可能已被撤销，请联系社区管理员。"
GROUP_ONLY = "请在要绑定的群里发送这条命令。"
PRIVATE_ONLY = "为保护居民隐私，请在与我的私聊中使用这条命令。"
USAGE = "格式不对。用法：{usage}"
BUTTON_EXPIRED = "这个按钮已失效，请按最新的消息操作。"

# --- report wizard ---------------------------------------------------------
ASK_CATEGORY = "请选择问题类别："
# No category is in force (a territory imported without its catalogue): never an empty menu.
NO_CATALOGUE = "抱歉，本街道的问题类别还没有设置好，暂时无法在这里反映问题。请稍后再试，或直接联系社区。"
ASK_SUBCATEGORY = "「{parent}」下请再选择具体类别："
ASK_DESCRIPTION = (
    "类别：{category}\n请用文字描述问题（{min}–{max} 字），例如：春晗路12号门口人行道沉降破损约2平方米。"
)
DESCRIPTION_SHORT = "描述太短了，请至少写 {min} 个字，说清楚是什么问题、在哪里。"
DESCRIPTION_LONG = "描述太长了（{length} 字），请控制在 {max} 字以内。"
DESCRIPTION_EMPTY = "请用文字描述问题。"
ASK_PHOTO = "如方便，请发送一张现场照片；没有照片请点「跳过」。"
PHOTO_ONLY = "只能接收照片（jpg、png、gif、webp），这个文件无法使用。"
PHOTO_EXPECTED = "这一步请发送照片，或点「跳过」。"
PHOTO_FIRST = "收到照片！请用一句话说说是什么问题、在哪里（例如：楼道灯坏了，现代花园3幢），我来帮您反映。"
PHOTO_ADDED = "已收到第 {count} 张照片（最多 {limit} 张），会一并提交。请继续。"
PHOTOS_FULL = "照片已经有 {limit} 张了，这张没有保存。请继续。"
ASK_LOCATION = (
    "请发送位置（点「📍 发送位置」），或直接输入详细地址（如：春晗路12号3单元）。"
    "发送位置是自愿的：只用于把问题派给所在网格，仅办理人员可见，保存期满后只保留到约100米。"
)
LOCATION_INVALID = "收到的位置无效（经纬度不在有效范围内），请重新点「📍 发送位置」，或直接输入详细地址。"
LOCATION_HINT_GRID = "已根据您扫码的位置确定网格：{grid}。"
LOCATION_HINT_COMMUNITY = "已根据您扫码的位置确定社区：{grid}。"
ADDRESS_LONG = "地址太长了，请控制在 {max} 字以内。"
ASK_COMMUNITY = "请选择问题所在的社区："
ASK_PHONE = "请留下联系电话，方便网格员联系您（仅办理人员可见）；不愿留请点「跳过」。"
PHONE_INVALID = "电话号码格式不对，请输入11位手机号或带区号的座机号，或点「跳过」。"
CONFIRM = "请确认您反映的问题：\n{summary}\n确认无误请点「确认提交」。"
CONFIRM_EXPECTED = "请点「确认提交」，或「返回上一步」修改，或「取消」。"
CANCELLED = "已取消，本次填写的内容未提交。需要时随时再来找我。"
NOTHING_TO_CANCEL = "当前没有进行中的操作。"
RESULT_PHOTO_CANCELLED = "好的，不再等待办结照片。"
SUBMITTED = (
    "已受理！工单编号 #{id}。\n类别：{category}\n办理时限：{tier}\n"
    "{handed}，接单后会第一时间告诉您。发送 /status {id} 可随时查看进展。"
)
SUBMITTED_PROXY = "已为居民 {name} 登记工单 #{id}（{source}）。办理进展会发给您，请及时转告居民。"
CHOICE_EXPECTED = "请点选上面的选项，或发送 /cancel 取消。"

# --- proxy filing (代办) ---------------------------------------------------
ASK_PROXY_NAME = "代居民登记：请输入居民姓名（或称呼，如“王阿姨”）。"
ASK_PROXY_SOURCE = "请选择来源："
NAME_INVALID = "姓名请在 1–{max} 字之间。"

# --- summaries -------------------------------------------------------------
SUMMARY_CATEGORY = "类别：{category}"
SUMMARY_DESCRIPTION = "描述：{description}"
SUMMARY_PHOTO = "照片：已附 1 张"
SUMMARY_PHOTOS = "照片：已附 {count} 张"
SUMMARY_LOCATION = "位置：已定位（{area}）"
SUMMARY_ADDRESS = "地址：{address}"
SUMMARY_AREA = "所属：{area}"
SUMMARY_PHONE = "电话：{phone}"
SUMMARY_PROXY = "代办：{name}（{source}）"

# --- cards in group chats (no phone, no exact address) ----------------------
CARD = "【新工单 #{id}】{category}\n{description}\n区域：{area}\n时限：{tier}\n提交时间：{created}"
CARD_CLAIMED = "【工单 #{id} · {status}】{category}\n{description}\n区域：{area}\n办理人：{handler}"
CARD_CLOSED = "【工单 #{id} · {status}】{category}\n区域：{area}"
CARD_NO_CHAT = "工单 #{id}（{area}）没有绑定的群可以派单，请在对应的群里发送 /bind {code}。"
CARD_REPOST = "【待接单提醒 #{id}】{category}\n{description}\n区域：{area}\n已等待 {age}，请尽快抢单。"

# --- grabbing and handling -------------------------------------------------
GRAB_WON = "抢单成功！工单 #{id} 由您办理。"
ALREADY_CLAIMED = "手慢了，工单 #{id} 已被 {handler} 抢单。"
ALREADY_YOURS = "工单 #{id} 已经由您办理，不用再抢。发送「我的任务」查看您手上的工单。"
NOT_OPEN = "工单 #{id} 当前状态为「{status}」，不能这样操作。"
# Someone else changed the ticket first (a race lost): who did what, and where that left it.
ALREADY_DONE = "工单 #{id} 已被 {who} {done}（当前状态「{status}」），不能这样操作。"
DONE_BY_RESIDENT = "居民"  # never the resident's name: the refusal may reach any worker in scope
DONE = {
    "grabbed": "抢单",
    "assigned": "交办",
    "resolved": "办结",
    "reopened": "重新打开",
    "closed": "确认销号",
    "withdrawn": "撤回",
    "rejected": "驳回",
    "merged": "合并",
    "moved": "转派",
    "released": "退回待抢",
    "answered": "答复",
}
NOT_IN_SCOPE = "工单 #{id} 不在您负责的范围内。"
NOT_HANDLER = "工单 #{id} 不是由您办理的。"
NOT_FOUND = "没有找到工单 #{id}。"
NOT_FOLLOWING = "您没有关注工单 #{id}。"
UNFOLLOWED = "已取消关注工单 #{id}，之后不再通知您它的进展。"
UNFOLLOWED_BY_ADMIN = "管理员已将您从工单 #{id} 的关注人中移除，之后不再通知您它的进展。如有疑问请重新反映。"
DETAILS = (
    "工单 #{id} 详情（含居民隐私信息，请勿外传）：\n类别：{category}\n描述：{description}\n"
    "区域：{area}\n地址：{address}\n定位：{location}\n联系人：{contact}\n电话：{phone}\n"
    "时限：{tier}，截止 {due}\n"
    "办理命令：见面 {id} · 进展 {id} 内容 · 定级 {id} 档位 理由 · 办结 {id} 说明"
)
DETAILS_PHOTO = "居民上传的现场照片（工单 #{id}）"
DETAILS_PHOTO_MORE = "居民上传的现场照片 {n}/{count}（工单 #{id}）"
NONE = "未提供"
MEET_DONE = "已记录：您与居民见面（工单 #{id}）。"
NOTE_DONE = "已记录进展（工单 #{id}），居民会收到通知。"
TIER_DONE = "工单 #{id} 已改为：{tier}，{deadline}。"
PLAN_DONE = "已记录工单 #{id} 的初步方案，新的截止时间 {due}。"
PLAN_NOT_PENDING = "只有「暂难解决」的工单需要提交初步方案；请先用 定级 {id} 暂难解决 理由。"
DATE_INVALID = "没看懂这个日期，或它早于今天。可以写 {example}、12月20日、明天或下周一。"
RESOLVE_DONE = "工单 #{id} 已办结，正在请居民确认。如有现场照片，请直接发送给我。"
RESOLVE_DONE_VISITED = "工单 #{id} 已办结，将由社区管理员回访核实。如有现场照片，请直接发送给我。"
RESOLVE_PHOTO_SAVED = "已将办结照片附到工单 #{id}。"
REASON_REQUIRED = "请写明理由。"
NOTE_REQUIRED = "请写明内容。"
MINE_EMPTY = "您目前没有正在办理的工单。"
MINE_HEADER = "您正在办理的工单："
MINE_LINE = "#{id} {category} · {status} · 截止 {due}"

# --- resident notices ------------------------------------------------------
R_CLAIMED = "您反映的问题（#{id}）已由{role} {handler} 接单办理，时限：{tier}，{deadline}。"
R_ASSIGNED = "您反映的问题（#{id}）已交办给 {handler} 办理，{deadline}。"
R_MET = "{role} {handler} 已与您见面了解情况（工单 #{id}）。"
R_NOTE = "工单 #{id} 有新进展：{note}"
R_TIER = "工单 #{id} 的办理时限调整为：{tier}，原因：{reason}。{deadline}。"
R_PLAN = "工单 #{id} 的初步方案：{plan}\n预计 {due} 前落实。"
R_RESOLVED = "工单 #{id} 已办结：{note}\n请您确认：问题解决了吗？"
R_RESOLVED_PHOTO = "工单 #{id} 的办结现场照片"
R_ASK_SATISFIED = "您对这次办理满意吗？"
R_CLOSED_DOUBLE_YES = "感谢您的确认！工单 #{id} 已销号。有事随时找我。"
W_SAID_MASKED = "为保护他人隐私，工单 #{id} 转告居民时隐去了其中的电话或门牌号，居民看到的是：{said}"
R_CLOSED_FOLLOWED = "您关注的工单 #{id} 已办结销号。有事随时找我。"
R_CLOSED_UNSATISFIED = "工单 #{id} 已销号。您的不满意评价已记录，街道会据此改进工作。"
R_REOPENED = "抱歉问题还没解决。工单 #{id} 已重新交回 {handler} 继续办理，并已上报督办。"
R_REJECTED = "很抱歉，工单 #{id} 未能受理，原因：{reason}。如有疑问可重新反映。"
R_MERGED = "您反映的问题与工单 #{into} 相同，已合并办理。发送 /status {id} 可随时查看办理进展。"
R_FOLLOWUP_REMINDER = "提醒：工单 #{id} 已办结，请您抽空确认问题是否解决。"
R_AUTOCLOSED = "工单 #{id} 办结后 {days} 天未收到您的确认，已自动销号。如问题仍在，欢迎再次反映。"
R_AUTOCLOSED_UNVISITED = (
    "工单 #{id} 办结后 {days} 天内未完成回访核实，已自动销号（未评价）。如问题仍在，欢迎再次反映。"
)
R_PROGRESS = "工单 #{id} 进展：{status}。{latest}{deadline}。我们没有忘记您的问题。"
R_PROGRESS_LATEST = "最新情况：{note}。"

# --- worker notices --------------------------------------------------------
W_ASSIGNED = "管理员把工单 #{id} 交给您办理。"
W_UNASSIGNED = "工单 #{id} 已改由 {handler} 办理。"
W_REOPENED = "居民反馈工单 #{id} 的问题未解决，已退回您继续办理，并已上报督办。"
W_CLOSED = "工单 #{id} 已销号（{rating}），积分 +{points}。"
W_REJECTED = "工单 #{id} 已被驳回：{reason}。"
W_MERGED = "工单 #{id} 已合并到 #{into}。"
W_WITHDRAWN = "居民已撤回工单 #{id}，无需继续办理。"

# --- resident commands -----------------------------------------------------
MY_EMPTY = "您还没有反映过问题。点「反映问题」开始。"
MY_HEADER = "您反映的问题："
MY_LINE = "#{id} {category} · {status} · {created}"
STATUS_TEXT = "工单 #{id}\n类别：{category}\n状态：{status}\n时限：{tier}\n提交：{created}{extra}"
STATUS_HANDLER = "\n办理人：{handler}"
STATUS_DUE = "\n截止：{due}"
STATUS_HISTORY = "\n进展：\n{lines}"
WITHDRAW_CONFIRMED = "工单 #{id} 已撤回。"
FOLLOWUP_NOT_NOW = "工单 #{id} 目前不需要您确认。"
SELF_RATING = "工单 #{id} 由您代办或办理，回访须由居民本人（或社区管理员电话回访）答复，您不能自评。"
PHONE_FOLLOWUP_TASK = "请电话回访 #{id}（{name} {phone}）：{question}\n请按居民在电话中的回答点击按钮。"
PHONE_FOLLOWUP_NOBODY = (
    "工单 #{id} 需要电话回访居民（{name} {phone}），但本社区和街道没有其他管理员可以回访："
    "经办、代办或办结了这件工单的人不能为它打分。请授权另一位管理员（/grant），"
    "否则工单将于 {closes} 自动销号（未评价）。"
)
PHONE_FOLLOWUP_SOLVED = "问题解决了吗？"
PHONE_FOLLOWUP_SATISFIED = "对这次办理满意吗？"
PHONE_FOLLOWUP_RECORDED = "已记录工单 #{id} 的电话回访答复：{answer}。"
PROXY_RESOLVED = "您代办的工单 #{id} 已办结：{note}\n社区管理员将电话回访居民。"
SELF_RESOLVED = (
    "您本人上报并办理的工单 #{id} 已办结：{note}\n将由另一位社区管理员回访核实，核实后才计销号积分。"
)
SELF_FOLLOWUP_TASK = (
    "请回访核实 #{id}：上报人 {name} 也是这件工单的办理人，按规定由您核实。{question}\n请核实现场后点击按钮。"
)
STATS_PHONE_FOLLOWUPS = "其中电话回访 {count} 件"
STATS_CITY = (
    "12345市级工单 {count} 件，市级回访 {visited} 件："
    "响应率 {response}，解决率 {resolution}，满意率 {satisfaction}"
)
CARD_RELEASED = "【重新派单】原办理人已不再负责，请重新抢单：\n{card}"
R_RELEASED = "工单 #{id} 的原办理人已调整，工单已重新派给网格员，请您稍候。"
REVOKE_MOVED = "以下工单已退回待抢单并重新发布：{ids}"

# --- admin -----------------------------------------------------------------
ASSIGN_DONE = "已将工单 #{id} 交给 {handler}。"
REJECT_DONE = "已驳回工单 #{id}。"
MERGE_DONE = "已将工单 #{id} 合并到 #{into}。"
MERGE_SELF = "不能把工单合并到它自己。"
MERGE_TARGET_FINAL = "目标工单 #{into} 已结束（{status}），不能合并进去。"
USER_NOT_FOUND = "没有找到用户 {user}。请对方先给我发一条私信，或检查拼写。"
AREA_NOT_FOUND = "没有找到范围代码 {code}。发送 /areas 查看全部代码。"
ROLE_INVALID = "角色只能是 worker（网格员）、admin（管理员）、volunteer（志愿者）或 mediator（调解员）。"
GRANT_DONE = "已授予 {user} {role} 角色，范围：{area}。请对方先私聊我一次（发送 /start），才能收到工单详情。"
GRANT_EXISTS = "{user} 已有 {role} 角色（{area}），无需重复授予。"
REVOKE_DONE = "已撤销 {user} 的 {role} 角色（{count} 项）。"
REVOKE_NONE = "{user} 没有 {role} 角色可撤销。"
GRANT_OUTSIDE = "您只能在自己的管理范围（{area}）内授权。"
ROLE_NAME = {"worker": "网格员", "admin": "管理员", "mediator": "调解员"}
BIND_DONE = "本群已绑定到 {area}（{code}）。该范围的新工单会发到这里，网格员可直接抢单。"
BIND_MOVED = "本群原绑定 {old}，现改为 {area}（{code}）。"
AREAS_HEADER = "范围代码："
AREAS_LINE = "{indent}{code} · {name}"
OVERDUE_EMPTY = "目前没有超期工单。"
OVERDUE_HEADER = "超期工单（{count} 件）："
OVERDUE_LINE = "#{id} {category} · {area} · {handler} · {late}"
UNCLAIMED = "未接单"
STATS = (
    "统计（{period}）：\n工单总数 {total}\n按状态：{by_status}\n按类别：{by_category}\n"
    "响应率 {response}\n解决率 {resolution}\n满意率 {satisfaction}"
)
STATS_NA = "—"
PERIOD = {"all": "全部", "week": "近7天", "month": "近30天"}

# --- points ----------------------------------------------------------------
POINTS = "您的积分：{total} 分（本周 {week}，本月 {month}）。"
POINTS_REASON = {
    "close": "办结销号",
    "double_yes": "双是加分",
    "grab": "抢单",
    "meet": "见面",
    "overdue": "超期扣分",
    "city_double_yes": "市级考核双是加分",
    "report": "反映问题获确认",
    "idea": "金点子落地",
}
RANK_HEADER = "积分排行（{period}）："
RANK_LINE = "{pos}. {name} {points} 分"
RANK_EMPTY = "这段时间还没有积分记录。"

# --- admin / system notices ------------------------------------------------

# --- misc ------------------------------------------------------------------
DURATION_DAYS = "{days}天{hours}小时"
DURATION_HOURS = "{hours}小时{minutes}分"
DURATION_MINUTES = "{minutes}分钟"

# --- sla ---------------------------------------------------------------------
# Reminders, escalation (督办), follow-up, progress pushes, digest and /stats extras.
SLA_LEVEL_AREA = "{level}（{area}）"
SLA_REMINDER = "提醒：工单 #{id}（{category}）办理时限已过 {percent}%，请在 {due} 前办结，还剩 {left}。"
SLA_ESCALATED = (
    "【督办 · {level}】工单 #{id} {category}\n{description}\n区域：{area}\n"
    "{age}，办理人：{handler}\n原因：{reason}"
)
SLA_ESCALATED_DUE = "\n新的截止时间：{due}"
SLA_REASON_OVERDUE = "超过办结时限（{deadline}）未办结"
SLA_REASON_UNCLAIMED = "提交后 {waited} 无人接单"
SLA_REASON_REOPENED = "居民反馈问题未解决（第 {count} 次退回）"
SLA_STILL_OVERDUE = (
    "【督办 · {level}】工单 #{id} {category} {late}，仍未办结。\n区域：{area}\n办理人：{handler}"
)
SLA_STILL_UNCLAIMED = "【督办 · {level}】工单 #{id} {category} 提交已 {age}，仍无人接单。\n区域：{area}"
SLA_PENALTY = "，积分 {points}"
W_OVERDUE = "工单 #{id} 已超过办结时限，已升级至{level}督办{penalty}。新的截止时间 {due}，请抓紧办理。"
W_OVERDUE_TOP = "工单 #{id} 已超过办结时限，已由{level}督办{penalty}。请尽快办结。"
W_STILL_OVERDUE = "提醒：工单 #{id} {late}，仍未办结，请尽快处理。"
R_ESCALATED = "工单 #{id} 未能在时限内办结，已升级由{level}督办，新的截止时间 {due}。给您添麻烦了。"
R_UNCLAIMED_ESCALATED = "工单 #{id} 暂时还没有网格员接单，已提请{level}协调办理，请您稍候。"
R_FOLLOWUP_REMINDER_RATE = "提醒：请您对工单 #{id} 的办理结果做个评价。"
PROGRESS_DUE_UNSET = "接单后确定"
PROGRESS_NO_DEADLINE = "不设时限"
DIGEST_HEADER = (
    "【每日督办简报 · {date}】\n在办 {active} 件（待接单 {open}，办理中 {claimed}，待居民确认 {resolved}）\n"
    "昨日新增 {new} 件，办结 {solved} 件"
)
DIGEST_OVERDUE = "超期 {count} 件："
DIGEST_NONE = "目前没有超期工单。"
DIGEST_MORE = "……另有 {count} 件，发送 /overdue 查看全部。"
STATS_ON_TIME = "按期办结率：{rates}"
STATS_ON_TIME_ITEM = "{tier} {rate}（{on_time}/{decided}）"
STATS_SLOW_GRIDS = "办结最慢的网格：{grids}"
STATS_SLOW_GRID_ITEM = "{area} 平均 {avg}（{count} 件）"
STATS_NONE = "暂无"
CHART_TITLE = "{subdistrict} 接诉即办统计（{period}）"
CHART_DAILY = "每日新增与办结"
CHART_NEW = "新增"
CHART_SOLVED = "办结"
CHART_ON_TIME = "按期办结率（%）"
CHART_CATEGORIES = "主要问题类别（件）"
CHART_SLOW_GRIDS = "平均办结用时（小时）"
CHART_EMPTY = "暂无数据"
CHART_CAPTION = "统计图（{period}）"

# --- wechat ------------------------------------------------------------------
# The WeChat official account has no buttons: options are numbered and answered by number or label.
WX_OPTION = "回复 {n}：{label}"
WX_LOCATION_HINT = "发送位置：点输入框右侧的「+」，选「位置」；也可以直接输入地址。"
WX_UNSUPPORTED = "暂时无法处理视频、文件或链接消息。请直接输入文字，或发送照片。"
WX_UNHEARD = "抱歉，这段语音没能听清。请您打字说一下遇到的问题，或者直接发一张照片给我。"
WX_PHOTO_LINK = "照片：{url}"
WX_PHOTO_ELSEWHERE = "（附有一张照片，微信中暂无法显示）"
WX_TEMPLATE_REMARK = "在公众号里发送「查询 {id}」可查看最新进展。"
WX_BIND_DONE = "已订阅 {area}（{code}）的新工单：有新工单会发到这里，回复选项前的数字即可抢单。"
WX_BIND_MOVED = "已改为订阅 {area}（{code}）的新工单（原为 {old}）。"
WX_BIND_NOT_STAFF = "您还不是网格员。请把您的用户编号 {id} 发给管理员，授权后再发送 /bind 范围代码。"
WX_BIND_OUTSIDE = "您不负责 {area}，只能订阅自己负责范围内的新工单。"

# --- core: deadlines that do not exist yet ----------------------------
R_CLAIMED_NO_DUE = "您反映的问题（#{id}）已由{role} {handler} 接单办理（{tier}）。"
R_ASSIGNED_NO_DUE = "您反映的问题（#{id}）已交办给 {handler} 办理（{tier}）。"
DUE_NONE = "不设时限"
DUE_AFTER_CLAIM = "接单后 {days} 天内"
ASSIGN_NOT_IN_SCOPE = "{user} 不负责工单 #{id} 所在的范围，不能交办。可先用 /grant 授权。"

# --- telegram ----------------------------------------------------------------
# Sent before a message with inline buttons when a 📍/📱 reply keyboard is still open, to close it.
TG_KEYBOARD_CLOSED = "好的。"
TG_FILE_UNAVAILABLE = "（附件已失效，请重新发送 /report_week 获取。）"
TG_PHOTO_UNAVAILABLE = "（附有一张照片，无法在 Telegram 中显示。）"

# --- territory, catalogue and staff files ------------------------
OUT_OF_AREA = (
    "这个位置不在{subdistrict}的服务范围内。"
    "如果问题确实在{subdistrict}，请选择所在社区；也可以点「返回上一步」重新发送位置。"
)
ASK_GRID_PICK = "您填写的地址「{address}」可能属于以下网格，请选择："
BTN_NONE_OF_THESE = "都不是"
URGENT_CARD = "【紧急】{card}"
MOVE_DONE = "工单 #{id} 已从 {old} 转派至 {area}。"
MOVE_SAME = "工单 #{id} 已在 {area}，无需转派。"
MOVE_NOT_ACTIVE = "工单 #{id} 当前状态为「{status}」，不能转派。"
MOVE_TARGET_LEVEL = "{code} 不是网格、社区或科室的代码，不能转派到这里。发送 /areas 查看全部代码。"
CARD_MOVED = "【工单 #{id} · 已转派】{category}\n已转派至 {area}，本群无需处理。"
R_MOVED = "您反映的问题（#{id}）已转交 {area} 办理，办理时限不变。"
W_MOVED_AWAY = "工单 #{id} 已转派至 {area}，您无需再办理。"
STAFF_BOUND = "您好，{name}！您已按街道人员名单登记为{role}，范围：{area}。"

# --- web office, progress page and Open311 -------------------------------------------------
WEB_LINK = "网页后台登录链接（10分钟内有效，仅可使用一次，请勿转发）：\n{url}"
WEB_NOT_CONFIGURED = "网页后台尚未开通（未配置 [web] base_url），请联系系统管理员。"
WEB_STAFF_ONLY = "网页后台仅供网格员和管理员使用。"
WEB_LOCKED = "登录失败次数过多，已暂时锁定，请 {minutes} 分钟后再试。如非本人操作，请联系管理员。"
WEB_TOO_MANY_LINKS = "登录链接申请过于频繁，请 {minutes} 分钟后再试（已发出的链接 10 分钟内仍可使用）。"
WEB_PRIVATE_ONLY = "为保护账号安全，请在与机器人的私聊中发送 /web 获取登录链接。"
TRACK_LINE = "\n随时查看办理进展：{url}"
WEB_LINK_USED = "该登录链接已使用过。请在私聊中重新发送 /web 获取新链接。"
WEB_LINK_EXPIRED = "该登录链接已过期（有效期10分钟）。请在私聊中重新发送 /web 获取新链接。"
WEB_LINK_UNKNOWN = "登录链接无效。请在私聊中发送 /web 获取新链接。"
WEB_NOT_STAFF = "您没有后台权限。网页后台仅供网格员和管理员使用。"
WEB_SIGNED_OUT = "您已退出登录。"
WEB_SESSION_GONE = (
    "登录已失效（超过8小时未操作、登录已满24小时或已退出），请在私聊中发送 /web 重新获取登录链接。"
)
WEB_FORBIDDEN = "您的角色无权查看此页面。"
WEB_SLOW_DOWN = "登录尝试过于频繁，请稍后再试。"
WEB_FORM_FORGED = "表单已失效或并非来自本页面，未做任何更改。请刷新页面后重试。"
WEB_TICKET_HIDDEN = "未找到工单 #{id}，或不在您的管辖范围内。"
WEB_BAD_FILTER = "筛选条件无效：{what}。已按其余条件显示。"
WEB_WORKER_REQUIRED = "请选择要交办的网格员。"
WEB_NUMBER_REQUIRED = "请填写有效的{what}。"
WEB_UNKNOWN_ACTION = "不支持的操作。"
WEB_MEDIA_URL = "外部系统提供的照片："
# A follower's own answers (resolved?, satisfied?) as the ticket page shows them.
WEB_FOLLOWER_ANSWER = {
    (None, None): "尚未回访",
    (True, None): "已解决，未评价",
    (True, True): "已解决，满意",
    (True, False): "已解决，不满意",
    (False, None): "未解决",
    (False, True): "未解决",
    (False, False): "未解决",
    (None, True): "满意",
    (None, False): "不满意",
}
WEB_DONE = {
    "assign": "工单 #{id} 已交办给 {detail}，已通知网格员和居民。",
    "reject": "工单 #{id} 已驳回，已告知居民理由。",
    "merge": "工单 #{id} 已合并到 #{detail}，已告知居民。",
    "tier": "工单 #{id} 的时限已调整，已告知居民。",
    "note": "工单 #{id} 的进展已记录，已转告居民。",
    "grab": "您已接单 #{id}，请尽快联系居民。",
    "move": "{detail}",
    "answer": "咨询 #{id} 已答复并办结，已把答复发给居民。",
}
# Each kind of ticket event (models.events.EventKind) in the office's timeline and progress page.
# Each event of a ticket's trail, once: its name in the audit view and the office, and the words the
# resident reads in /status (a staff-only event is never shown to a resident, but has words all the same).
EVENT = {
    "created": ("受理", "已受理"),
    "grabbed": ("接单", "网格员接单"),
    "assigned": ("交办", "交办"),
    "met": ("上门见面", "网格员上门见面"),
    "note": ("进展", "进展"),
    "tier": ("调整时限", "调整时限"),
    "plan": ("初步方案", "初步方案"),
    "resolved": ("办结", "办结"),
    "result_photo": ("补充办结照片", "补充办结照片"),
    "confirmed_resolved": ("居民确认已解决", "居民确认已解决"),
    "reopened": ("居民反馈未解决，重新办理", "居民反馈未解决，重新办理"),
    "closed": ("销号", "销号"),
    "withdrawn": ("撤回", "撤回"),
    "rejected": ("驳回", "驳回"),
    "merged": ("合并", "合并"),
    "escalated": ("升级督办", "升级督办"),
    "overdue": ("超期", "超期，街道领导督办"),
    "reminded": ("办理提醒", "办理提醒"),
    "overdue_reminded": ("超期催办", "超期催办"),
    "followup_reminded": ("回访提醒", "回访提醒"),
    "progress": ("进展提醒", "进展提醒"),
    "moved": ("转派", "转派"),
    "recategorised": ("调整类别", "调整类别"),
    "phone_followup": ("电话回访", "电话回访"),
    "released": ("退回待抢单", "重新安排网格员"),
    "unfollowed": ("取消关注", "取消关注"),
    "return_asked": ("申请退单", "申请退单"),
    "returned": ("退单（已批准）", "退回市级平台"),
    "return_refused": ("退单申请未获批准", "退单申请未获批准"),
    "extension_asked": ("申请延期", "申请延期"),
    "extended": ("延期（已批准）", "延期"),
    "extension_refused": ("延期申请未获批准", "延期申请未获批准"),
    "city_visit": ("市级回访", "市级回访"),
    "paused": ("挂起", "挂起"),
    "resumed": ("恢复计时", "继续办理"),
    "idea_stage": ("金点子筛选", "金点子筛选"),
    "answered": ("答复咨询", "已答复"),
    "backstopped": ("转社区兜底", "物业未及时处理，社区兜底"),
}
EVENT_NAME = {kind: name for kind, (name, _) in EVENT.items()}
EVENT_TOLD = {kind: told for kind, (_, told) in EVENT.items()}  # to the resident
WEB_ROLE = {
    "system": "系统",
    "resident": "居民",
    "worker": "网格员",
    "admin": "管理员",
    "volunteer": "志愿者",
    "mediator": "调解员",
}
TRACK_NOT_FOUND = "没有找到这个进展查询链接，请核对链接是否完整。"
# The office's labels: the tickets list's sorts and filter names, the map legend, the statistics.
WEB_SORTS = {"new": "最新受理", "old": "最早受理", "due": "期限最近"}
WEB_FILTER = {
    "status": "状态",
    "tier": "时限档位",
    "sort": "排序",
    "community": "社区",
    "grid": "网格",
    "since": "起始日期",
    "until": "截止日期",
    "range": "日期范围",
    "handler": "经办人",
    "page": "页码",
    "stats": "统计周期或社区",
}
WEB_APPROX = "按地址估计的位置（网格中心）"
WEB_FIELD_WORKER = "网格员"
WEB_FIELD_FOLLOWER = "关注人"
WEB_FIELD_MERGE_INTO = "目标工单编号"
WEB_FIELD_CREDIT = "记分网格员"
WEB_TIER_USAGE = "时限档位：简单|复杂|暂难解决"
WEB_OVERDUE = "超期"
WEB_MAP_LEGEND = {"open": "待接单", "claimed": "办理中", "resolved": "待居民确认", "overdue": WEB_OVERDUE}
WEB_MY_SCOPE = "我的管辖范围"
WEB_RATES = ("响应率", "解决率", "满意率")
# Excel and CSV: the tickets list's columns, and the weekly meeting's workbook (周报).
XLS_TICKET_HEADERS = (
    "编号",
    "状态",
    "类别",
    "社区",
    "网格",
    "问题描述",
    "时限档位",
    "经办人",
    "受理时间",
    "办结期限",
    "办结时间",
    "销号时间",
    "是否超期",
    "评价",
    "来源",
    "市级工单编号",
    "市级办结时限",
    "已签收",
)
XLS_YES, XLS_NO = "是", "否"
XLS_TICKETS_SHEET = "工单"
XLS_TICKETS_FILE = "工单-{stamp}"
XLS_EXPORT_CUT = (
    "注意：共 {total} 件符合条件，Excel 只导出了前 {shown} 件。请缩小筛选范围，或导出 CSV（不限件数）。"
)
XLS_EXPORT_CUT_SHEET = "导出不完整"
XLS_WEEKLY_FILE = "周报-{stamp}.xlsx"
XLS_WEEKLY_TITLE = "{community} 周报（近7天，截至 {now}）"
XLS_WEEKLY_EMPTY = "无"
XLS_WEEKLY_STATUS = ("工单数（按状态）", "数量")
XLS_WEEKLY_TOTAL = "合计"
XLS_WEEKLY_RATES = ("三率", "比率")
XLS_WEEKLY_CITY = ("12345市级工单三率", "数值")
CITY_KPI_COUNTS = ("市级派单（件）", "市级回访（件）")
XLS_WEEKLY_ON_TIME = ("时限档位", "按时率", "按时办结", "已有结果")
XLS_WEEKLY_OVERDUE = ("超期工单编号", "类别", "网格", "经办人", "首次超期时间")
XLS_WEEKLY_RANKING = ("积分排名", "姓名", "积分")
XLS_WEEKLY_PUBLIC_RANKING = ("志愿者和居民积分排名", "姓名", "积分")

# /report_week (周报): the workbook as a file, or (WeChat cannot send files) a single-use link to it.
REPORT_WEEK_CAPTION = (
    "{subdistrict}周报（近7天，截至 {now}），每个社区一张工作表：工单数、三率、按时率、超期工单和积分排名。"
)
REPORT_WEEK_LINK = (
    "周报（Excel）下载链接（10分钟内有效，仅可使用一次，请勿转发）：\n{url}\n打开后点「登录」即开始下载。"
)
REPORT_WEEK_NO_WEB = (
    "公众号无法直接发送文件，需通过网页后台下载周报，"
    "但网页后台尚未开通（未配置 [web] base_url），请联系系统管理员。"
)
REPORT_WEEK_FAILED = "周报生成失败，请稍后再试或在网页后台「统计」页下载。"

O311_BAD_KEY = "api_key 缺失或无效"
O311_TOO_MANY = "提交过于频繁（每个 api_key 限 {rule}），请稍后再试"
O311_MISSING = "缺少必填参数 {field}"
O311_BAD_VALUE = "参数 {field} 无效"
O311_NO_SERVICE = "未知的 service_code：{code}"
O311_NOT_FOUND = "未找到工单 {id}"
O311_NO_TOKEN = "未找到 token：{token}"
O311_NOTICE = "已受理，将按“135”时限办理"

# --- reading free text ------------------------------------------------
# A pending 双是 question is asked again, with its buttons, when a reply is not an answer.
REASK_RESOLVED = "您还没有回答：工单 #{id} 的问题解决了吗？请点「是」或「否」（也可以直接回复“是”或“还没”）。"
REASK_SATISFIED = "您还没有回答：您对工单 #{id} 的办理满意吗？请点「满意」或「不满意」。"
# A problem described outside the wizard: the description is kept, categories are suggested.
SUGGEST_CATEGORY = "收到，已记下您的描述：\n{description}\n请确认问题类别（点「都不是」可查看全部类别）："
SUGGEST_NO_CATEGORY = "收到，已记下您的描述：\n{description}\n请选择问题类别："
WELCOME_THANKS = "不客气！还有问题随时找我。"
# Said with the menu when a message is none of the things Jiesu understands.
UNDERSTOOD_NOTHING = (
    "没太明白您的意思（“{text}”）。想反映问题可以直接描述，例如“小区门口路灯坏了”；查进展请点「我的工单」。"
)
# The forgiving wizard.
DESCRIPTION_APPENDED = "已补充到描述：{description}"
RESUME_OR_RESTART = "您有一条反映还没填完。继续刚才的反映，还是重新开始？"
BTN_RESUME = "继续刚才的"
BTN_RESTART = "重新开始"
DRAFT_REMINDER = "您刚才的反映还没有提交。直接回复即可接着填写，发送 /cancel 放弃。"
DRAFT_DROPPED = "您 24 小时前开始填写的反映一直没有提交，已作废。如仍需反映，请直接描述问题或点「反映问题」。"
# Duplicates nearby: never another resident's name, phone or exact address, only what a group card shows.
DUPLICATE_OFFER = (
    "附近已有相同问题 #{id}（{status}）：{category}，{area}，{created} 反映。\n"
    "是同一个问题吗？关注后，办理进展会同样通知您。"
)
BTN_DUPLICATE_FOLLOW = "是，关注 #{id}"
BTN_DUPLICATE_NEW = "不是，继续提交"
DUPLICATE_REASK = "请先回答：和 #{id} 是同一个问题吗？"
DUPLICATE_FOLLOWING = "已为您关注工单 #{id}，不再重复提交。办理进展和办结确认都会通知您。"
DUPLICATE_STATUS = {"open": "待接单", "claimed": "办理中，网格员已接单", "resolved": "已办结，待确认"}
AFFECTED = "\n反映同一问题的居民：{count} 人"
CARD_AFFECTED = "\n👥 {count} 位居民反映了同一问题"
FOLLOWER_NOT_RESOLVED = "已记录：您反映问题尚未解决（工单 #{id}），我们会转告办理人员。"
W_FOLLOWER_NOT_RESOLVED = "关注工单 #{id} 的一位居民反馈：问题尚未解决，请核实。"
FOLLOWER_THANKS = "感谢您的反馈！工单 #{id} 的回访已记录。"
STATS_FOLLOWERS = "关注同一问题的其他居民：{count} 人"  # by the duplicate offer or a merge

# --- free text read by the trained reader (handlers/reading.py, handlers/worker_words.py) --------
# Not sure what a message means: one short question, never an action on a guess.
MEANT_ASK = "您是想：①反映新问题 ②查询进展 ③撤回工单？请点选（或回复序号）。"
BTN_MEANT_PROBLEM = "① 反映新问题"
BTN_MEANT_STATUS = "② 查询进展"
BTN_MEANT_WITHDRAW = "③ 撤回工单"
BTN_MEANT_NONE = "都不是"
# A withdrawal in words is confirmed with the ticket named; with several, the resident picks one.
WITHDRAW_ASK = "确认撤回工单 #{id}（{category}：{description}）吗？撤回后网格员将停止办理。"
WITHDRAW_WHICH = "您有 {count} 件工单可以撤回，要撤回哪一件？"
WITHDRAW_NONE = "您目前没有可以撤回的工单（只有待接单、办理中的工单可以撤回）。"
BTN_WITHDRAW_YES = "确认撤回 #{id}"
BTN_WITHDRAW_PICK = "撤回 #{id} {category}"
BTN_KEEP = "不用了"
KEPT = "好的，工单不做改动。还有问题随时找我。"
# A 双是 "no" with a reason: the handler's notice quotes it.
W_REOPENED_REASON = "居民反馈工单 #{id} 的问题未解决：“{reason}”。已退回您继续办理，并已上报督办。"
# A worker's own words: 办结 or 进展 confirmed with the ticket named, or a pick among his tickets.
WORKER_RESOLVE_ASK = "要把工单 #{id}（{category}）办结吗？办结说明：{note}"
WORKER_GRAB_ASK = "要抢工单 #{id}（{category}）吗？"
WORKER_NOTE_ASK = "要把这句话记为工单 #{id}（{category}）的进展吗？{note}"
WORKER_WHICH = "您手上有 {count} 件在办工单，这句话说的是哪一件？"
WORKER_NONE = "您手上没有在办的工单。抢单请发“抢单 编号”，办结请发“办结 编号 说明”。"
WORKER_IN_GROUP = "工单 #{id} 的办结和进展请在这里（私聊）发给我，例如“{id}号搞定了 垃圾已清走”，群里只抢单。"
WORKER_GRAB_NUMBER = "要抢哪一单？请写明编号，例如“抢单 12”或“12号我接了”。"
BTN_WORKER_RESOLVE = "确认办结 #{id}"
BTN_WORKER_GRAB = "抢单 #{id}"
BTN_WORKER_NOTE = "记为进展 #{id}"
BTN_WORKER_PICK = "#{id} {category}"
# Simple English: the Chinese reply keeps one English line (a full English catalogue is not there yet).
ENGLISH = {
    "problem": "We got your report. Please choose the kind of problem below.",
    "report": "Please choose the kind of problem below, then describe it.",
    "status": "Here is the progress of your reports.",
    "withdraw": "Please confirm: do you want to cancel this report?",
    "ask": "Sorry, did you mean: 1 a new problem, 2 progress, 3 cancel a report?",
    "answer": "Thank you, we have your answer.",
    "reask": "Please answer: is the problem solved? Reply yes or no.",
    "thanks": "You are welcome!",
    "greeting": "Hello! Describe the problem, or choose below.",
    "nothing": "Sorry, we did not understand. Please describe the problem in simple words.",
}

# --- personal commands in groups -------------------------------------
# A personal command (/status, /my, 我的积分 …) sent in a group is answered in private.
GROUP_ANSWERED_PRIVATELY = "{name}，已私信回复您。"
GROUP_ASK_PRIVATE = "{name}，为保护隐私，这条消息的答复只在私聊中发送。请先私聊我（发送 /start），再发一次。"

# --- roles by what the person is, the audit view and the ledger detail --------
ROLE_OF = {
    "admin": "管理员",
    "worker": "网格员",
    "mediator": "调解员",
    "staff": "工作人员",
    "volunteer": "志愿者",
    "party_volunteer": "党员志愿者",
    "property": "物业人员",
    "resident": "居民",
    "system": "系统",
}
HISTORY_HEADER = "工单 #{id} 办理记录（{count} 条，第 {page}/{pages} 页）："
HISTORY_LINE = "{time} {event} · {actor}{detail}"
HISTORY_ACTOR = "{name}（{role}）"
HISTORY_MORE = "发送 /history {id} {next} 查看下一页。"
HISTORY_NOT_ALLOWED = "工单 #{id} 的办理记录仅限该工单的办理人和管理员查看。发送 /status {id} 可查看进展。"
HISTORY_PAGE_EMPTY = "工单 #{id} 的办理记录只有 {pages} 页。"
HISTORY_FOLLOWED = "关注同一问题"
# The detail after an event's name; {note} etc. come from the event's audit note.
HISTORY_DETAIL = {
    "created": "：来源 {source}",
    "assigned": "：交给 {name}",
    "met_repeat": "（一天内重复记录，未再通知居民）",
    "note": "：{note}",
    "tier": "：{old} → {new}，理由：{reason}",
    "tier_plain": "：{note}",
    "plan": "：{date} 前落实，方案：{plan}",
    "resolved": "：{note}",
    "closed": "：{rating}",
    "rejected": "：{note}",
    "merged": "：合并到 {into}",
    "merged_in": "：#{id} 并入本工单",
    "unfollowed": "：{name} 不再关注",
    "escalated_unclaimed": "：无人接单，升级至{level}",
    "escalated_overdue": "：超过办结时限，升级至{level}",
    "overdue": "：超过{level}督办时限",
    "reminded": "：办理时限已过 {percent}%",
    "overdue_reminded": "：第 {count} 次催办",
    "followup_reminded": "：{question}",
    "progress": "：向居民推送进展",
    "moved": "：{old} → {new}",
    "recategorised": "：{old} → {new}",
    "phone_followup": "：{question}{answer}",
    "released": "：原办理人 {name} 不再负责，退回待抢单",
    "followed": "：{name} 反映了同一问题",
    "city_request": "：{note}",
    "extension": "：延至 {date}，{note}",
    "city_visit": "：响应{responded}，解决{resolved}，满意{satisfied}",
    "paused": "：至 {date}，{note}",
    "resumed": "：挂起 {minutes} 分钟，办理时限顺延",
    "answered": "：{note}",
    "backstopped": "{why}",
}
FOLLOWUP_QUESTION = {"1": "问题解决了吗？", "2": "对这次办理满意吗？"}
ANSWER = {"y": "是", "n": "否"}
LEDGER_HEADER = "积分明细（共 {count} 条，合计 {total} 分，第 {page}/{pages} 页）："
LEDGER_LINE = "{time} {reason} {delta} 分{ticket}"
LEDGER_TICKET = " · 工单 #{id}"
LEDGER_MORE = "发送「我的积分 明细 {next}」查看下一页。"
LEDGER_EMPTY = "您还没有积分记录。"
LEDGER_PAGE_EMPTY = "积分明细只有 {pages} 页。"

# --- wording ---------------------------------------------------------
# Staff read the status from their side (the resident reads 已办结，待您确认).
STAFF_STATUS = {**STATUS, "resolved": "已办结，待居民确认"}
DURATION_JUST_NOW = "刚刚"
DURATION_UNDER_MINUTE = "不到1分钟"
DURATION_DAYS_ONLY = "{days}天"
DURATION_HOURS_ONLY = "{hours}小时"
# Elapsed time in a sentence; under a minute the whole phrase becomes its "just now" form.
AGE = "已受理 {duration}"
AGE_JUST_NOW = "刚刚受理"
LATE = "已超期 {duration}"
LATE_JUST_NOW = "刚刚超期"
# A deadline: ahead, or passed (never a past moment quoted as if it were ahead).
DEADLINE_PASSED = "{late}，原定 {due}"
DEADLINE_EXPECTED = "预计 {due} 前办结"
DEADLINE_NEW = "新的截止时间 {due}"
DEADLINE_PROGRESS = "截止时间 {due}"
DEADLINE_STATUS = "{due}"
ASK_PROXY_PHONE = "请输入居民的联系电话，方便办理人员联系居民（仅办理人员可见）；没有请点「跳过」。"
SUBMITTED_TO = {
    "grid": "已转交 {area} 的网格员",
    "other": "已转交 {area} 办理",
    "mediation": "已转交 {area} 的调解员",
}
# --- acting on someone else's ticket, merged residents --------------------------
CLOSE_USAGE = "/close 编号 [说明] [--credit 网格员]"
ON_BEHALF_NOTE = "已由管理员核实办结"
ON_BEHALF_DONE = "您代为办结了工单 #{id}（经办人不是您），{credit}"
ON_BEHALF_NO_CREDIT = "本单办结积分不记给任何人。如需记给某位网格员：/close 编号 --credit 用户"
ON_BEHALF_CREDIT = "本单办结积分将记给 {user}。"
CREDIT_NOT_ON_BEHALF = "工单 #{id} 由您本人办理，积分自动记给您，无需指定记分人。"
CREDIT_NOT_IN_SCOPE = "{user} 不负责工单 #{id} 所在的范围，不能记分给他。"
ON_BEHALF_NO_CREDIT_WEB = "本单办结积分不记给任何人。"
WEB_DONE["close"] = "工单 #{id} 已代为办结，正在请居民确认。{detail}"
WEB_DONE["unfollow"] = "已将 {detail} 从工单 #{id} 的关注人中移除，并已告知本人。"
W_CLOSED_CREDITED = "工单 #{id} 已销号，管理员代为办结时将积分记给了您：+{points}。"
R_MERGED_FOLLOWING = (
    "您反映的问题与工单 #{into} 相同，已合并办理。之后的办理进展和办结确认都会通知您，"
    "发送 /status {id} 可随时查看。"
)
# --- going live: the WeChat menu and the 码上说 posters --------------------------
# The official account's custom menu (`jiesu wechat menu`): (label, CLICK key), or (label, sub-items)
# for a button that opens a list. The keys are those the WeChat channel turns into commands.
WX_MENU: tuple[tuple[str, str | tuple[tuple[str, str], ...]], ...] = (
    ("反映问题", "report"),
    ("我的工单", "my"),
    (
        "更多",
        (
            ("使用帮助", "help"),
            ("主菜单", "menu"),
            ("我的任务", "mine"),
            ("我的积分", "points"),
            ("排行榜", "rank"),
        ),
    ),
)
# A printed poster per grid (`jiesu qr`): the title, where it hangs, what to report, how to scan.
POSTER_TITLE = "码上说 马上办"
POSTER_PLACE = "{subdistrict} {community} {grid}"
POSTER_WHAT = "道路破损、违章停车、环境卫生、物业报修、邻里纠纷……\n扫码反映，件件有落实，事事有回音。"
POSTER_TELEGRAM = "Telegram 扫码反映"
POSTER_WECHAT = "微信扫码反映"
POSTER_FOOT = "网格代码 {code} · 扫码后按提示选择问题类别、描述问题即可"

# --- 企业微信 (WeCom) app -----------------------------------------------------
WECOM_NOT_STAFF = (
    "您好！本应用供网格员和管理员办理工单。您的企业微信账号 {id} 尚未登记，"
    "请把它发给管理员（/grant {id} worker 范围代码）。"
)
WECOM_CARD_DONE = "已处理"

# --- commands: the usage line a wrong call is refused with, the line in a command menu ---
USAGE_START = "/start"
USAGE_MY = "/my"
USAGE_STATUS = "/status 编号"
USAGE_WITHDRAW = "/withdraw 编号"
USAGE_UNFOLLOW = "取消关注 编号（/unfollow 编号）"
USAGE_HELP = "/help"
USAGE_GRAB = "抢单 编号"
USAGE_MEET = "见面 编号"
USAGE_NOTE = "进展 编号 内容"
USAGE_TIER = "定级 编号 简单|复杂|暂难解决 理由"
USAGE_PLAN = "方案 编号 日期 内容"
USAGE_RESOLVE = "办结 编号 说明"
USAGE_MINE = "/mine"
USAGE_POINTS = "/points"
USAGE_RANK = "排行 week|month"
USAGE_PROXY = "/proxy"
USAGE_ASSIGN = "/assign 编号 用户"
USAGE_REJECT = "/reject 编号 理由"
USAGE_MERGE = "/merge 编号 目标编号"
USAGE_GRANT = "/grant 用户 worker|admin|mediator 范围代码"
USAGE_REVOKE = "/revoke 用户 worker|admin [范围代码]"
USAGE_REVOKE_SCOPE = "/revoke 用户 worker|admin 范围代码"  # revoking a worker names the scope
USAGE_BIND = "/bind 范围代码（如 siji-1）"
USAGE_AREAS = "/areas"
USAGE_OVERDUE = "/overdue"
USAGE_STATS = "/stats [week|month]"
USAGE_WEB = "/web"
USAGE_REPORT_WEEK = "/report_week"
USAGE_REPORT = "/report"
USAGE_CANCEL = "/cancel"
USAGE_HISTORY = "/history 编号 [页码]"
USAGE_MOVE = "/move 编号 范围代码（如 /move 12 jingfa-1）"
MENU_START = "主菜单"
MENU_MY = "我的工单"
MENU_STATUS = "查询工单进展"
MENU_WITHDRAW = "撤回工单"
MENU_HELP = "使用帮助"
MENU_STAFF_HELP = "命令帮助"
MENU_GRAB = "抢单 编号"
MENU_CLOSE = "代为办结"
MENU_MINE = "我的任务"
MENU_POINTS = "我的积分"
MENU_RANK = "积分排行"
MENU_ASSIGN = "交办"
MENU_REJECT = "驳回"
MENU_MERGE = "合并"
MENU_GRANT = "授权"
MENU_REVOKE = "撤销授权"
MENU_BIND = "绑定本群"
MENU_AREAS = "范围代码"
MENU_OVERDUE = "超期工单"
MENU_STATS = "统计"
MENU_HISTORY = "工单办理记录"
MENU_MOVE = "转派"
MENU_REPORT_WEEK = "周报（Excel）"
MENU_REPORT = "反映问题"
MENU_CANCEL = "取消当前操作"
# /help, built from the commands: a heading per role, then "usage: what it does" for each command.
HELP_HEAD = {"resident": "使用帮助：", "worker": "网格员命令：", "admin": "管理员命令："}
HELP_LINE = "· {usage}：{help}"
HELP_FOOT = {"resident": "办理时限（“135”）：简单事项1天办结，复杂事项3天办结，暂难解决的5天内给出初步方案。"}
HELP_START = "回到主菜单"
HELP_MEDIATE = "调解员登记调解结果（成功、未成功或转交去向、协议内容、涉及金额），居民会收到通知并评价"
HELP_MEDIATION_STATS = "查看调解件数、成功率、涉及金额和调处用时"
HELP_COMPANY = "以企业身份反映问题（单位名称，可附统一社会信用代码）；企业 取消 改回个人身份"
HELP_ASK = "向工作人员咨询政策或服务（不是反映问题），工作人员会在3个工作日内答复"
HELP_ANSWER = "答复居民的咨询，答复后咨询即办结"
HELP_IDEA = "推进金点子：收集→初筛→入选→落地，未采纳须写明理由，提议人会收到通知"
HELP_IDEAS = "按阶段列出辖区内的金点子"
HELP_NIGHTVISIT = "记录一次夜访：日期、小组、地点、走访户数和情况"
HELP_VISIT_NEED = "把夜访中听到的一项需求登记为代办工单，关联到这次夜访"
HELP_NIGHTVISITS = "列出夜访记录，或查看一次夜访及其工单"
HELP_REPORT = "反映问题（也可点「反映问题」），按提示选择类别、描述问题、发送照片和位置"
HELP_MY = "查看您反映的全部问题"
HELP_STATUS = "查看某一件工单的进展"
HELP_WITHDRAW = "撤回工单（问题已自行解决时）"
HELP_UNFOLLOW = "不再接收您关注的他人工单的进展"
HELP_CANCEL = "填写过程中随时取消；点「返回上一步」可修改上一步"
HELP_HELP = "查看本帮助"
HELP_MYDATA = "查看我们保存的您的个人信息及保存期限"
HELP_REWARDS = "查看积分可兑换的物品和您的可用积分"
HELP_REDEEM = "用积分兑换物品，由管理员审核"
HELP_GRAB = "接下工单"
HELP_MEET = "记录与居民见面"
HELP_NOTE = "记录办理进展（转告居民）"
HELP_TIER = "调整办理时限档位"
HELP_PLAN = "给出暂难解决事项的初步方案和预计日期"
HELP_RESOLVE = "报告办结，随后可发送一张办结照片"
HELP_MINE = "查看我手上的工单"
HELP_POINTS = "查看我的积分；“我的积分 明细”查看积分流水"
HELP_RANK = "积分排行"
HELP_PROXY = "代居民登记（夜访、电话）"
HELP_HISTORY = "查看工单的全部办理记录（办理人、管理员）"
HELP_WEB = "获取网页后台登录链接（私聊发送）"
HELP_CITY_RETURN = "12345市级工单申请退单，由街道管理员审核"
HELP_CITY_EXTEND = "12345市级工单申请延期，由街道管理员审核"
HELP_PAUSE = "挂起工单至某日，期间不计办理时限"
HELP_RESUME = "取消挂起，恢复计时"
HELP_ASSIGN = "交办给指定网格员"
HELP_REJECT = "驳回工单（理由告知居民）"
HELP_MERGE = "把重复的工单合并到目标工单"
HELP_GRANT = "授予网格员或管理员角色"
HELP_REVOKE = "撤销角色"
HELP_BIND = "在群内发送，把本群绑定到该范围"
HELP_AREAS = "查看范围代码"
HELP_OVERDUE = "查看超期工单"
HELP_STATS = "统计（三率、各档位按时率、图表）"
HELP_REPORT_WEEK = "获取周报（Excel）"
HELP_MOVE = "转派到其他网格、社区或科室"
HELP_ERASE = "应居民要求删除其个人信息（街道管理员）"
HELP_CITY_REPLY = "在发给市级平台前改写办理情况"
HELP_APPROVE_REDEEM = "同意积分兑换申请"
HELP_REJECT_REDEEM = "拒绝积分兑换申请"
HELP_REDEMPTIONS = "查看待审核的兑换申请"
HELP_CLOSE = "代经办人办结（办结积分默认不记给任何人）"

# The security log page (/office/security) and its CSV: each kind of line in words.
WEB_SECURITY_TITLE = "安全日志"
WEB_SECURITY_NOTE = "只增不改：系统不会修改或删除任何一行，至少保存 {days} 天。"
WEB_SECURITY_EXPORT = "导出 CSV"
WEB_SECURITY_OLDER = "更早的记录"
WEB_SECURITY_HEADERS = ["时间", "事件", "操作人", "来源", "详情"]
SECURITY_KIND = {
    "link_issued": "发出登录链接",
    "link_used": "登录",
    "link_refused": "登录链接被拒",
    "locked_out": "登录锁定",
    "second_factor_on": "启用动态验证码",
    "signed_out": "退出",
    "role_granted": "授予角色",
    "role_revoked": "撤销角色",
    "export": "导出",
    "private_viewed": "查看电话或详细地址",
    "open311_key": "Open311 密钥使用",
    "config_imported": "导入配置",
    "erased": "删除个人信息",
    "retention": "到期匿名化",
}

# The second factor (TOTP) of web sign-in.
WEB_CODE_LABEL = "动态验证码（身份验证器应用中的6位数字）"
WEB_CODE_WRONG = "动态验证码不正确或已使用，请输入应用中当前显示的6位数字。"
WEB_2FA_TITLE = "启用动态验证码"
WEB_2FA_STEPS = (
    "用身份验证器应用（如 Google Authenticator、Microsoft Authenticator、阿里云 App）扫描二维码，"
    "或手动输入密钥，然后填写应用显示的6位数字。"
)
WEB_2FA_REQUIRED = "本街道要求管理员使用动态验证码登录，请先完成设置。"
WEB_2FA_ALREADY = "您已启用动态验证码。"

# Personal data (PIPL): /mydata, /erase, and the name an anonymised ticket's resident gets.
ERASED_NAME = "（已删除）"
ERASE_USAGE = "/erase 用户"
USAGE_MYDATA = "/mydata"
ERASE_TOP_ADMIN_ONLY = "只有街道管理员可以删除居民的个人信息。"
ERASE_DONE = (
    "已删除用户 {id} 的个人信息：{count} 件工单的电话、详细地址、照片和姓名已清除，"
    "位置已模糊到约100米。已记入安全日志。"
)
MYDATA_HEAD = (
    "接诉即办保存的您的信息（称呼：{name}）。工单办结 {days} 天后，电话、详细地址、照片和姓名"
    "自动删除，位置模糊到约100米："
)
MYDATA_TICKET = "#{id} {category}（{status}）：保存了{kept}；{until}"
MYDATA_FIELD = {
    "phone": "电话",
    "address": "详细地址",
    "location": "位置",
    "photo": "照片",
    "name": "联系人姓名",
}
MYDATA_NOTHING = "无个人信息"
MYDATA_UNTIL = "将于 {day} 删除"
MYDATA_OPEN = "办结后按期删除"
MYDATA_NO_TICKETS = "您还没有反映过问题。"
# --- city hotline orders (12345 接诉即办) -----------------------------------------------------
NOT_DISPATCHER = "只有街道管理员（指挥中心）可以处理市级工单的退单、延期和回复。"
NOT_CITY_ORDER = "工单 #{id} 不是12345市级工单。"
# --- consultations (咨询): the FAQ's answer, or a question staff answer in words ----------------
FAQ_ANSWER = (
    "{answer}\n\n（以上是常见问题的答复。没有解答您的问题？发送“人工咨询 您的问题”，"
    "工作人员会在{days}个工作日内答复您。）"
)
CONSULT_FILED = (
    "您的咨询已收到，编号 #{id}。工作人员会在{days}个工作日内（{due}前）答复您。发送 /status {id} 可查看。"
)
CONSULT_NEW = "新咨询 #{id}（{days}个工作日内答复，{due}前）：\n{question}\n答复请发送：答复 {id} 答复内容"
CONSULT_ANSWERED = "您的咨询 #{id} 已有答复：\n{answer}\n如还有疑问，可以再来问我。"
CONSULT_ANSWER_DONE = "已答复咨询 #{id}，居民会收到您的答复，咨询已办结。"
CONSULT_LATE = "咨询 #{id} 已超过答复时限（{due}），还没有答复：\n{question}\n答复请发送：答复 {id} 答复内容"
NOT_CONSULT = "工单 #{id} 不是咨询，不能“答复”。办结问题请用：办结 {id} 说明。"
USAGE_ANSWER = "答复 编号 答复内容（例：答复 12 社区周六上午有人值班）"
USAGE_ASK = "人工咨询 您的问题（例：人工咨询 社区能开无犯罪记录证明吗）"
MENU_ASK = "人工咨询：向工作人员提问"
REQUEST_PENDING = "工单 #{id} 已有一项申请在等待街道审核。"
NO_REQUEST = "工单 #{id} 没有待审核的申请。"
CITY_CARD_TAG = "【12345市级工单 {number}，市级时限 {due}】"
CITY_UNROUTED = (
    "12345市级工单 #{id}（{number}）的地址未能对应到网格：{address}\n"
    "问题：{description}\n请指派：/move {id} 网格代码（/areas 查看代码）。"
)
CITY_RETURN_ASKED = (
    "工单 #{id}（{number}）申请退单，理由：{reason}\n"
    "同意：/city_return {id} 同意；不同意：/city_return {id} 不同意 理由"
)
CITY_RETURN_DONE = "工单 #{id}（{number}）已退回市级平台，理由：{reason}"
CITY_RETURN_REFUSED = "工单 #{id}（{number}）的退单申请未获批准：{reason}，请继续办理。"
CITY_EXTENSION_ASKED = (
    "工单 #{id}（{number}）申请延期至 {date}，理由：{reason}\n"
    "市级平台批准后：/city_extend {id} 同意 批准文号或说明；不同意：/city_extend {id} 不同意 理由"
)
CITY_EXTENDED = "工单 #{id}（{number}）已延期至 {date}（{note}），提醒按新时限发送。"
CITY_EXTENSION_REFUSED = "工单 #{id}（{number}）的延期申请未获批准：{note}，请按原时限办结。"
CITY_VISIT_REOPENED = (
    "工单 #{id}（{number}）市级回访结果：解决{resolved}，满意{satisfied}。"
    "已转为二次办理（升级至{level}），请尽快处理。"
)
CITY_VISIT_DOUBLE_YES = "工单 #{id}（{number}）市级回访双是，加 {points} 分。"
CITY_USAGE_RETURN = "/city_return 编号 理由（网格员申请）或 /city_return 编号 同意|不同意 理由（街道管理员）"
CITY_USAGE_EXTEND = "/city_extend 编号 日期 理由（申请）或 /city_extend 编号 同意|不同意 说明（街道管理员）"
CITY_USAGE_REPLY = "/city_reply 编号 回复市级平台的办理情况（街道管理员）"
CITY_REPLY_SAVED = "工单 #{id} 的回复已保存，将随下次导出或推送发给市级平台。"
CITY_ASKED_OK = "已提交，等待街道管理员审核。"
CITY_DECIDED_OK = "已处理。"
CITY_YES = ("同意", "批准", "yes")
CITY_NO = ("不同意", "驳回", "no")
CITY_REQUEST_STATE = {"asked": "申请中", "approved": "已批准", "refused": "未批准"}
CITY_REPLY_HEADERS = ("工单编号", "办理结果", "办结时间", "承办人", "退单", "延期", "状态")
CITY_RESULT_HEADERS = {
    "number": "工单编号",
    "responded": "是否响应",
    "resolved": "是否解决",
    "satisfied": "是否满意",
}

# --- 挂起 (pausing the clock) ------------------------------------------------------------------
ALREADY_PAUSED = "工单 #{id} 已经挂起。"
NOT_PAUSED = "工单 #{id} 没有挂起。"
PAUSE_TOO_LONG = "挂起最长 {days} 天，请选择更早的日期。"
PAUSE_USAGE = "/pause 编号 日期 理由（如等待居民或第三方）；/resume 编号 恢复计时"
RESUME_USAGE = "/resume 编号"
PAUSE_DONE = "工单 #{id} 已挂起至 {until}，期间不计办理时限。"
RESUME_DONE = "工单 #{id} 已恢复计时，办理时限：{due}。"
R_PAUSED = "您的工单 #{id} 暂时挂起：{reason}。预计 {until} 前继续办理。"
R_RESUMED = "您的工单 #{id} 已继续办理。"
W_RESUMED = "工单 #{id} 挂起到期，已恢复计时，办理时限：{due}。"
CITY_NOT_SIGNED = "未签收"
CITY_FIELDS = {
    "number": "市级工单编号",
    "dispatched": "派单时间",
    "deadline": "市级办结时限",
    "signed": "签收",
    "category": "市级问题分类",
    "return": "退单",
    "extend": "延期",
    "reply": "回复市级平台",
    "visit": "市级回访",
    "paused": "挂起至",
}
CITY_VISIT_WORDS = "响应{}，解决{}，满意{}"

# --- 积分回馈 ---------------------------------------------------------------------------------
USAGE_REWARDS = "/rewards"
USAGE_REDEEM = "兑换 物品代码（先发 /rewards 查看可兑换的物品）"
USAGE_APPROVE_REDEEM = "同意兑换 申请编号"
USAGE_REJECT_REDEEM = "拒绝兑换 申请编号 原因"
USAGE_REDEMPTIONS = "兑换申请"
MENU_REWARDS = "积分回馈"
MENU_REDEMPTIONS = "兑换申请"
REWARD_UNKNOWN = "没有代码为“{code}”的兑换物品。发送 /rewards 查看可兑换的物品。"
POINTS_SHORT = "积分不足：兑换“{name}”需要 {need} 分，您可用的积分是 {have} 分。"
REWARD_GONE = "“{name}”已经兑完了，请选择其他物品。"
REDEMPTION_UNKNOWN = "没有编号为 {id} 的兑换申请。"
REDEMPTION_DECIDED = "兑换申请 {id} 已经处理过了，不能重复处理。"
REWARDS_NONE = "目前还没有可兑换的物品。您可用的积分：{have} 分。"
REWARDS_HEADER = "积分回馈（您可用的积分：{have} 分）："
REWARD_LINE = "· {code}　{name}　{points} 分　{left}{provider}"
REWARD_LEFT = "剩 {stock} 件"
REWARD_OUT = "已兑完"
REWARD_PROVIDER = "　由{provider}提供"
REWARDS_HOW = "兑换请发送：兑换 物品代码。物品先为您保留，管理员审核通过后扣除积分。"
REDEEM_ASKED = "已提交兑换申请 {id}：{name}（{points} 分）。物品已为您保留，管理员审核通过后扣除积分。"
REDEEM_TASK = (
    "兑换申请 {id}：{who} 申请兑换“{name}”（{points} 分）。\n"
    "同意请回复：同意兑换 {id}；不同意请回复：拒绝兑换 {id} 原因"
)
REDEEM_DECIDED = "兑换申请 {id}（{name}）已{verdict}。"
REDEEM_VERDICT = {"approved": "同意，积分已扣除", "rejected": "拒绝，物品已退回库存"}
REDEEM_APPROVED = "您的兑换申请 {id} 已通过：{name}，扣除 {points} 分。请按通知领取。"
REDEEM_REJECTED = "您的兑换申请 {id}（{name}）未通过：{reason}。积分未扣除。"
REDEEM_QUEUE_EMPTY = "目前没有待审核的兑换申请。"
REDEEM_QUEUE_HEADER = "待审核的兑换申请 {count} 件："
REDEEM_QUEUE_LINE = "{id}. {who}　{name}　{points} 分"

# --- 双向积分+: volunteers, party members and residents -------------------------------------------
VOLUNTEER_CLOSED = (
    "工单 #{id} 的类别没有向志愿者开放：志愿者只能抢邻里互助、助老服务等开放给志愿者的工单。"
    "这张工单由网格员办理。"
)
R_REPORT_POINTS = (
    "感谢您反映的问题（工单 #{id}）已办结销号，您获得 {points} 积分。发送 /points 查看积分，/rewards 兑换。"
)
RANK_STAFF = "工作人员"
RANK_PUBLIC = "志愿者、党员和居民"
RANK_SECTION = "【{who}】"

# --- 金点子 (星选计划) --------------------------------------------------------------------------
IDEA_STAGE = {
    "collected": "收集",
    "screened": "初筛",
    "starred": "入选（星选）",
    "adopted": "落地",
    "declined": "未采纳",
}
# The words an admin types for each stage.
IDEA_STAGE_WORDS = {
    "初筛": "screened",
    "通过初筛": "screened",
    "入选": "starred",
    "星选": "starred",
    "落地": "adopted",
    "采纳": "adopted",
    "未采纳": "declined",
    "不采纳": "declined",
}
USAGE_IDEA = "筛选 工单编号 初筛|入选|落地|未采纳 [理由]（未采纳须写理由）"
USAGE_IDEAS = "金点子列表"
MENU_IDEAS = "金点子列表"
IDEA_NOT_PROPOSAL = "工单 #{id} 不是金点子（建议）类工单，不能筛选。"
IDEA_STAGE_UNKNOWN = "没有“{stage}”这个筛选阶段。可写：初筛、入选、落地、未采纳。"
IDEA_STEP = (
    "金点子 #{id} 现在是“{at}”阶段，不能直接改为“{to}”。"
    "顺序是：收集 → 初筛 → 入选 → 落地，落地之前任一阶段可写未采纳。"
)
IDEA_MOVED = "金点子 #{id} 已改为“{stage}”。{points}"
IDEA_MOVED_POINTS = "提议人获得 {points} 积分。"
R_IDEA_STAGE = "您的金点子 #{id} 有了新进展：{stage}。{reason}"
R_IDEA_REASON = "说明：{reason}"
R_IDEA_ADOPTED_POINTS = "您获得 {points} 积分，感谢您为社区出谋划策！"
IDEAS_HEADER = "金点子（按筛选阶段）："
IDEAS_STAGE_LINE = "【{stage}】{count} 件"
IDEAS_LINE = "  #{id} {description}"
IDEAS_EMPTY = "目前还没有金点子。"
IDEA_HISTORY = "：{stage}{reason}"

# --- 夜访日记 ---------------------------------------------------------------------------------
USAGE_NIGHTVISIT = (
    "夜访 日期 小组 地点 走访户数 [情况]，例如：夜访 今天 第一夜访小组 现代花园 12 物业交接问题"
)
USAGE_VISIT_NEED = "夜访需求 夜访编号 需求内容（每条需求一张代办工单）"
USAGE_NIGHTVISITS = "夜访记录 [夜访编号]"
MENU_NIGHTVISIT = "夜访日记"
VISIT_EMPTY = "夜访记录不能是空的：请写小组、地点和走访户数（1 户以上），或写下了解到的情况。"
VISIT_UNKNOWN = "没有编号为 {id} 的夜访记录。发送“夜访记录”查看最近的夜访。"
VISIT_DATE_BAD = "看不懂日期“{date}”：请写 2026-12-07、12月7日、今天或昨天。"
VISIT_HOUSEHOLDS_BAD = "走访户数“{count}”不是数字：请写走访了几户，例如 12。"
VISIT_RECORDED = (
    "夜访记录 {id} 已登记：{date} {team}，{place}（{area}），走访 {households} 户。\n"
    "了解到的每条需求请发送：夜访需求 {id} 需求内容，系统为每条需求生成一张代办工单。"
)
VISIT_NEED_FILED = "夜访 {visit} 的需求已生成代办工单 #{id}（{category}），交 {area} 办理。"
VISITS_HEADER = "最近的夜访记录："
VISITS_LINE = "{id}. {date} {team} · {place} · 走访 {households} 户 · 需求 {count} 条"
VISITS_EMPTY = "还没有夜访记录。"
VISIT_DETAIL = "夜访记录 {id}：{date} {team}，{place}（{area}），走访 {households} 户。\n情况：{notes}"
VISIT_TICKET_LINE = "  #{id} {category} · {status} · {description}"
VISIT_NO_TICKETS = "  （还没有需求工单）"

# --- the web office: 金点子 and 夜访日记 -------------------------------------------------------------
WEB_DONE["idea"] = "{detail}"
WEB_IDEAS_TITLE = "金点子（星选计划）"
WEB_IDEAS_NOTE = (
    "按筛选阶段列出。顺序：收集 → 初筛 → 入选（星选）→ 落地；落地之前任一阶段可改为未采纳（须写理由）。"
)
WEB_IDEAS_HEADERS = ("编号", "提议", "区域", "提交时间", "说明", "下一步")
WEB_IDEAS_MOVE = "更改"
WEB_IDEAS_REASON = "理由"
WEB_IDEAS_NONE = "暂无"
WEB_VISITS_TITLE = "夜访日记"
WEB_VISITS_NEW = "登记夜访"
WEB_VISIT_FIELDS = {
    "date": "日期",
    "team": "夜访小组",
    "place": "地点",
    "households": "走访户数",
    "notes": "了解到的情况",
    "needs": "群众需求（每行一条，每条生成一张代办工单）",
}
WEB_VISIT_SAVE = "保存夜访记录"
WEB_VISITS_HEADERS = ("编号", "日期", "小组", "地点", "走访户数", "需求工单")
WEB_VISIT_TICKETS = "需求工单"
WEB_VISIT_TICKET_HEADERS = ("工单", "类别", "区域", "状态", "办理人", "内容")
WEB_VISIT_PRINT = "打印交办单"
WEB_VISIT_XLSX = "导出交办单（Excel）"
XLS_VISIT_SHEET = "交办单"
XLS_VISIT_FILE = "夜访交办单-{id}"
XLS_VISIT_HEADERS = ("工单", "类别", "地点", "问题描述", "经办人", "办结期限")
WEB_VISIT_SAVED = "夜访记录 {id} 已保存，生成代办工单 {count} 张。"
WEB_VISIT_PRINT_TITLE = "夜访工作交办单（夜访记录 {id}）"
WEB_VISIT_PRINT_SIGN = ("交办领导签字", "日期", "承办科室（社区）签收")
WEB_VISIT_HIDDEN = "没有编号为 {id} 的夜访记录，或它不在您负责的范围内。"

# --- 滴滴调解 (mediation) ------------------------------------------------------
USAGE_MEDIATE = "调解 编号 成功|未成功|转…（如 转法院） 协议内容 [金额]"
MENU_MEDIATE = "登记调解结果"
USAGE_MEDIATION_STATS = "调解统计 [week|month|all]"
MENU_MEDIATION_STATS = "调解统计"
NOT_DISPUTE = "工单 #{id} 不是矛盾纠纷工单，不能登记调解结果。请用：办结 {id} 说明。"
NOT_MEDIATOR = "调解结果只能由调解员或管理员登记。如需调解，请发送 /report，选择“矛盾纠纷”。"
OUTCOME_UNKNOWN = "“{word}”不是调解结果。请写 成功、未成功，或 转 加去向（如 转法院、转派出所）。"
AMOUNT_INVALID = "金额“{amount}”写法不对。请把金额单独写在最后，如 3000、3000元、1.5万（最多两位小数）。"
MEDIATION_AMOUNT = "（涉及金额 {yuan} 元）"
MEDIATION_NOTE_SUCCESS = "调解成功。协议内容：{agreement}{amount}"
MEDIATION_NOTE_FAILED = "调解未成功：{agreement}。如有需要，您可以依法申请仲裁或向人民法院起诉。"
MEDIATION_NOTE_TRANSFERRED = "已转交{to}处理：{agreement}"
MEDIATION_OUTCOME = {"success": "调解成功", "failed": "调解未成功"}
MEDIATION_OUTCOME_TRANSFERRED = "转交{to}"
MEDIATION_OUTCOME_CHOICES = {
    "success": "调解成功",
    "failed": "调解未成功",
    "transferred": "转交",
}  # the web form
MEDIATION_DONE = "已登记工单 #{id} 的调解结果：{outcome}{amount}。正在请居民确认。"
MEDIATION_STATS_HEADER = "调解统计（{period}，{scope}）："
MEDIATION_STATS_TOTAL = "合计"
MEDIATION_STATS_LINE = (
    "{name}：受理 {cases} 件，成功 {success}，未成功 {failed}，转交 {transferred}，"
    "成功率 {rate}，涉及金额 {yuan} 元，平均调处用时 {settle}"
)
MEDIATION_STATS_TEAMS = "按调解队伍："
MEDIATION_STATS_COMMUNITIES = "按社区："

# --- 企业 reporters (问政北苑) ---------------------------------------------------
USAGE_COMPANY = "企业 单位名称 [统一社会信用代码]（改回个人身份：企业 取消）"
MENU_COMPANY = "以企业身份反映"
CREDIT_CODE_INVALID = (
    "统一社会信用代码“{code}”不正确（应为18位，末位是校验码）。请核对营业执照，或只写单位名称。"
)
COMPANY_NAME_BAD = "单位名称请写 2–{most} 个字。"
COMPANY_SET = "好的，您今后反映的问题将以“{name}”{code}的名义登记（企业诉求）。改回个人身份请发送：企业 取消"
COMPANY_CODE = "（统一社会信用代码 {code}）"
COMPANY_NOW = "您目前以“{name}”{code}的名义反映问题。改回个人身份请发送：企业 取消"
COMPANY_NONE = "您目前以个人身份反映问题。如代表企业反映，请发送：" + USAGE_COMPANY
COMPANY_CLEARED = "好的，您今后反映的问题将以个人身份登记。"
COMPANY_CLEAR_WORDS = ("取消", "个人", "清除", "cancel")
DETAILS_COMPANY = "企业诉求：{name}{code}"
STATS_ENTERPRISE = "企业诉求 {count} 件"
MEDIATION_TEAM = "{name}调解队伍"
MEDIATION_XLS = ("滴滴调解", "受理", "成功", "未成功", "转交", "成功率", "涉及金额（元）", "平均调处用时")
WEB_DONE["mediate"] = "已登记工单 #{id} 的调解结果：{detail}，正在请居民确认。"
SUBMITTED_COMPANY = "\n以“{name}”的名义登记（企业诉求）。"
