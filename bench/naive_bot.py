"""The yardstick of bench/ingest.py: the report wizard as a tutorial would write it with PTB.

A python-telegram-bot `ConversationHandler` keeps each resident's draft in memory, async
SQLAlchemy stores the resident at /start and the report at 确认提交, and every handler answers
with `send_message` inline, inside the update. Same nine messages, same callback data, same
fake Bot API as Jiesu's Telegram path, so the two can be compared message for message. It is
not part of Jiesu; NOT_DONE lists what it leaves out.
"""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Float, ForeignKey, String, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest
from telegram.warnings import PTBUserWarning

NOT_DONE = (
    "keeps drafts in process memory: a restart loses them and a second process cannot serve the same chat",
    "no update dedupe: a webhook retry files the report twice",
    "replies sent inside the update: a failed or slow send fails or stalls it (no outbox, retries, order)",
    "no rate limits (per bot, chat, group) and no 429 handling",
    "no routing to a grid, no group card, no worker or admin notices, no audit events, no SLA deadlines",
    "no reading of free text (intents, categories), no duplicate-ticket offer, no input validation",
)

TOKEN = "7000000001:AAF4k3-t0ken_for-jiesu-tests"
MENU, CATEGORY, SUBCATEGORY, DESCRIPTION, PHOTO, LOCATION, PHONE, CONFIRM = range(8)
CATEGORIES = {"city": "城市管理", "housing": "住房物业", "peace": "矛盾调解"}
SUBCATEGORIES = {"road": "道路破损", "light": "路灯", "parking": "乱停车"}


class Base(DeclarativeBase):
    """The naive bot's two tables."""


class Resident(Base):
    """A Telegram user who started the bot."""

    __tablename__ = "naive_residents"
    id: Mapped[int] = mapped_column(primary_key=True)
    tg_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    name: Mapped[str] = mapped_column(String(100))


class Report(Base):
    """A submitted report."""

    __tablename__ = "naive_reports"
    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("naive_residents.id"))
    category: Mapped[str] = mapped_column(String(40))
    subcategory: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(2000))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    phone: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=lambda: datetime.now(UTC).replace(tzinfo=None))


def _keyboard(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def async_url(url: str) -> str:
    """The async driver's URL for a benchmark database URL."""
    if url.startswith("sqlite"):
        return "sqlite+aiosqlite://" + url.split("://", 1)[1]
    return "postgresql+psycopg://" + url.split("://", 1)[1]


class NaiveBot:
    """The PTB Application with the wizard's ConversationHandler and an async SQLAlchemy engine."""

    def __init__(self, url: str, request: BaseRequest) -> None:
        self.engine: AsyncEngine = create_async_engine(async_url(url), pool_size=8)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.application: Application = (  # type: ignore[type-arg]
            ApplicationBuilder()
            .token(TOKEN)
            .request(request)
            .get_updates_request(request)
            .updater(None)
            .build()
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PTBUserWarning)  # per_message=False with callback handlers
            conversation = ConversationHandler(
                entry_points=[CommandHandler("start", self.start)],
                states={
                    MENU: [CallbackQueryHandler(self.menu, pattern="^menu:report$")],
                    CATEGORY: [CallbackQueryHandler(self.category, pattern="^wz:cat:")],
                    SUBCATEGORY: [CallbackQueryHandler(self.subcategory, pattern="^wz:cat:")],
                    DESCRIPTION: [MessageHandler(filters.TEXT & ~filters.COMMAND, self.description)],
                    PHOTO: [
                        CallbackQueryHandler(self.no_photo, pattern="^wz:skip$"),
                        MessageHandler(filters.PHOTO, self.photo),
                    ],
                    LOCATION: [MessageHandler(filters.LOCATION, self.location)],
                    PHONE: [MessageHandler(filters.TEXT & ~filters.COMMAND, self.phone)],
                    CONFIRM: [CallbackQueryHandler(self.submit, pattern="^wz:submit$")],
                },
                fallbacks=[CommandHandler("cancel", self.cancel)],
            )
        self.application.add_handler(conversation)

    async def open(self) -> None:
        """Create the tables and start PTB."""
        async with self.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        await self.application.initialize()

    async def close(self) -> None:
        """Stop PTB and the engine."""
        await self.application.shutdown()
        await self.engine.dispose()

    async def reports(self) -> int:
        """How many reports were filed."""
        async with self.sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(Report)) or 0)

    async def process(self, data: dict[str, Any]) -> None:
        """Handle one update, replies included."""
        await self.application.process_update(Update.de_json(data, self.application.bot))

    # ------------------------------------------------------------------ the wizard

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """/start: remember the resident, show the menu."""
        user = update.effective_user
        assert user is not None and update.effective_chat is not None
        async with self.sessions() as session, session.begin():
            resident = await session.scalar(select(Resident).where(Resident.tg_id == user.id))
            if resident is None:
                resident = Resident(tg_id=user.id, name=user.full_name)
                session.add(resident)
                await session.flush()
        assert context.user_data is not None
        context.user_data.clear()
        context.user_data["resident"] = resident.id
        await context.bot.send_message(
            update.effective_chat.id,
            "您好！请选择：",
            reply_markup=_keyboard([("📝 反映问题", "menu:report")]),
        )
        return MENU

    async def _answer(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, markup: Any = None
    ) -> str:
        query = update.callback_query
        if query is not None:
            await query.answer()
        assert update.effective_chat is not None
        await context.bot.send_message(update.effective_chat.id, text, reply_markup=markup)
        return query.data or "" if query is not None else ""

    async def menu(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """反映问题: ask for the category."""
        rows = [[(label, f"wz:cat:{code}")] for code, label in CATEGORIES.items()]
        await self._answer(update, context, "请选择问题类别：", _keyboard(*rows))
        return CATEGORY

    async def category(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """A category: ask for the subcategory."""
        assert context.user_data is not None and update.callback_query is not None
        context.user_data["category"] = (update.callback_query.data or "").removeprefix("wz:cat:")
        rows = [[(label, f"wz:cat:{code}")] for code, label in SUBCATEGORIES.items()]
        await self._answer(update, context, "请选择具体问题：", _keyboard(*rows))
        return SUBCATEGORY

    async def subcategory(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """A subcategory: ask for the description."""
        assert context.user_data is not None and update.callback_query is not None
        context.user_data["subcategory"] = (update.callback_query.data or "").removeprefix("wz:cat:")
        await self._answer(update, context, "请描述问题：")
        return DESCRIPTION

    async def description(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """The description: ask for a photo."""
        assert context.user_data is not None and update.message is not None
        context.user_data["description"] = update.message.text or ""
        await self._answer(update, context, "请发一张照片，或跳过：", _keyboard([("跳过", "wz:skip")]))
        return PHOTO

    async def photo(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """A photo: ask for the location."""
        assert context.user_data is not None and update.message is not None and update.message.photo
        context.user_data["photo"] = update.message.photo[-1].file_id
        await self._answer(update, context, "请发送位置：")
        return LOCATION

    async def no_photo(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """跳过: ask for the location."""
        await self._answer(update, context, "请发送位置：")
        return LOCATION

    async def location(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """The location: ask for the phone."""
        assert context.user_data is not None and update.message is not None and update.message.location
        context.user_data["location"] = (update.message.location.latitude, update.message.location.longitude)
        await self._answer(update, context, "请留下联系电话：")
        return PHONE

    async def phone(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """The phone: show the summary with 确认提交."""
        assert context.user_data is not None and update.message is not None
        data = context.user_data
        data["phone"] = update.message.text or ""
        summary = (
            f"请确认：\n{CATEGORIES.get(data['category'], '')}\n{data['description']}\n电话 {data['phone']}"
        )
        await self._answer(update, context, summary, _keyboard([("确认提交", "wz:submit")]))
        return CONFIRM

    async def submit(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """确认提交: store the report, say its number."""
        assert context.user_data is not None
        data = context.user_data
        lat, lon = data.get("location", (None, None))
        async with self.sessions() as session, session.begin():
            report = Report(
                resident_id=data["resident"],
                category=data["category"],
                subcategory=data["subcategory"],
                description=data["description"],
                lat=lat,
                lon=lon,
                phone=data["phone"],
            )
            session.add(report)
            await session.flush()
        await self._answer(update, context, f"已受理！编号 #{report.id}。")
        data.clear()
        return ConversationHandler.END

    async def cancel(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """/cancel: drop the draft."""
        assert context.user_data is not None
        context.user_data.clear()
        await self._answer(update, context, "已取消。")
        return ConversationHandler.END
