"""WeCom (企业微信) self-built app through wechatpy 1.8.18: encrypted callbacks in, the message API out.

A callback is checked (size, no DTD, signature, CorpID), decrypted and committed to the inbox (unique MsgId, or
FromUserName:CreateTime:AgentID:event for events) before WeCom gets its empty 200, well inside its 5 seconds;
retries, also concurrent ones, find the row and do nothing. Processing and sending run in a tracked background
task; the synchronous wechatpy client runs in a thread, paced per member (WeCom drops what exceeds 30 a minute).

Buttons become numbered choices in the reader's language ("回复 1 选择「…」", 'Reply 1 for "…"'): the choices
offered last are kept per member in the database, so a typed number is recorded as that button's press. Approval
requests (buttons "ap:<id>:y|n") go out as a template card; a click arrives as template_card_event and is routed as
the button press, then the card is updated to show who decided (in the clicker's language). The access token lives
in the database, shared by every process.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import requests
from aiohttp import web
from wechatpy.enterprise.crypto import WeChatCrypto

from bot.channels import ChatTurns, InFlight, photo_contents, reader_for, recover, start_recovery
from bot.channels.wecom_callback import CHANNEL, Card, Refused, check_url, read_callback, to_inbound
from bot.channels.wecom_sender import WecomSender
from bot.channels.wecom_settings import WecomSettings
from bot.engine.engine import Engine
from bot.engine.inbound import Fetched, Inbound
from bot.engine.replies import Reply
from core.codes.scanning import MAX_BYTES as MAX_PICTURE
from core.people.accounts import actor_for_account

log = logging.getLogger(__name__)
CALLBACK_PATH = "/wecom/callback"


class WecomChannel:
    """One WeCom app: the callback route, the engine, and replies through the message API."""

    name = CHANNEL
    updates_clicked_card = True  # the card a member clicks is updated by the sender, with the click's own code

    def __init__(self, engine: Engine, settings: WecomSettings, in_flight: InFlight) -> None:
        self.engine = engine
        self.uow = engine.uow
        self.settings = settings
        self.in_flight = in_flight
        self.crypto = WeChatCrypto(settings.token, settings.encoding_aes_key, settings.corp_id)
        self.sender = WecomSender(engine.uow, engine.texts, engine.default_language, settings)
        self._turns = ChatTurns()
        self._recovered = False

    # Serving

    def mount(self, app: web.Application) -> None:
        app.router.add_get(CALLBACK_PATH, self.verify)
        app.router.add_post(CALLBACK_PATH, self.callback)

    async def start(self) -> None:
        """Process what a previous process recorded, resend what it processed but did not send."""
        if self._recovered:
            return
        self._recovered = True
        await start_recovery(self.engine, CHANNEL, self.in_flight, self._turns.turn, self._deliver,
                             self._fetch_pending)

    async def drain(self) -> None:
        """The callback route closes with the server; the work in flight is awaited by the server."""

    async def stop(self) -> None:
        """requests' connections close with the process."""

    async def verify(self, request: web.Request) -> web.Response:
        """GET /wecom/callback: WeCom checks the URL; answer the decrypted echostr as plain text."""
        return check_url(self.crypto, request, self.settings.max_age)

    async def callback(self, request: web.Request) -> web.Response:
        """POST /wecom/callback: check, decrypt, record, answer empty 200; the work continues behind."""
        try:
            message = await read_callback(self.crypto, request, self.settings.max_age)
        except Refused as refused:
            log.info("wecom: callback refused (%s)", refused)
            response = web.Response(status=refused.status, text=str(refused))
            if refused.status == 413:
                response.force_close()
            return response
        found = to_inbound(message)
        if found is None:
            return web.Response(status=200, text="")
        inbound, card = found
        if inbound.text is not None and inbound.text.strip().isdigit():
            choice = await asyncio.to_thread(self.sender.choice, inbound.user_id, int(inbound.text.strip()))
            if choice is not None:
                inbound = Inbound(CHANNEL, inbound.external_id, inbound.chat_id, inbound.user_id, button=choice)
        inbox_id = await asyncio.to_thread(self.engine.record, inbound)
        if inbox_id is None:
            log.info("wecom: %s seen before", inbound.external_id)
        else:
            self.in_flight.spawn(self._handle(inbox_id, inbound, card), f"wecom-{inbox_id}")
        return web.Response(status=200, text="")

    async def _fetch(self, user_id: str, media_id: str) -> Fetched | None:
        """The codes of an image a bound member sent: downloaded through the media API (at most MAX_PICTURE bytes)
        with `download_attempts` tries `download_backoff` apart (doubling), read off the event loop; `failed` when
        every try failed, None for a stranger (their images are not fetched: they get the binding prompt)."""
        actor = await asyncio.to_thread(self.uow.read, lambda tx: actor_for_account(tx, CHANNEL, user_id))
        if actor is None:
            return None
        wait = self.settings.download_backoff
        for attempt in range(1, self.settings.download_attempts + 1):
            try:
                content = await asyncio.to_thread(self.sender.client.download_media, media_id, MAX_PICTURE)
            except requests.RequestException as error:
                log.warning("wecom: image %s not downloaded (try %d of %d): %s", media_id, attempt,
                            self.settings.download_attempts, error)
            else:
                return await photo_contents(content, reader_for(actor, self.engine.reader))
            if attempt < self.settings.download_attempts:
                await asyncio.sleep(wait)
                wait *= 2
        return Fetched(failed=True)

    async def _fetch_pending(self, inbox_id: int) -> Fetched | None:
        """The image of an update a dead process recorded, downloaded now (the sweep's and the restart's fetch)."""
        pending = await asyncio.to_thread(self.engine.pending_file, inbox_id)
        return None if pending is None else await self._fetch(pending.user_id, pending.file_ref)

    # One update

    async def _handle(self, inbox_id: int, inbound: Inbound, card: Card | None) -> None:
        chat_id = inbound.chat_id
        async with self._turns.turn(chat_id):  # the download too: the member's next message waits for it
            fetched = None if inbound.file_ref is None else await self._fetch(inbound.user_id, inbound.file_ref)
            replies = await asyncio.to_thread(self.engine.process, inbox_id, fetched)
            await self._deliver(inbox_id, chat_id, replies)
        if card is not None:
            await self.sender.update_card(card)
        else:
            for waiting in await asyncio.to_thread(self.sender.waiting_cards, chat_id):
                await self.sender.update_card(waiting)

    async def sweep(self) -> int:
        """Answer what dead processes left on this channel (their leases ran out); how many updates were sent."""
        return await recover(self.engine, CHANNEL, self._turns.turn, self._deliver, self._fetch_pending)

    async def _deliver(self, inbox_id: int, user_id: str, replies: Sequence[Reply]) -> None:
        """Send the replies of one update, remember its numbered choices, confirm them sent."""
        try:
            offered = await self.sender.send_all(user_id, replies)
        except Exception:
            log.exception("wecom: replies to update %d not sent; the sweep resends them when the lease ends", inbox_id)
            self.engine.release(inbox_id)
            return
        await asyncio.to_thread(self.sender.remember, user_id, offered)
        await asyncio.to_thread(self.engine.delivered, inbox_id)

    # Sending

    async def send(self, chat_id: str, replies: list[Reply]) -> None:
        """The outbox dispatcher's sender: WeChat errors become RetryLater / TransientError / PermanentError."""
        await self.sender.send(chat_id, replies)

    async def replace(self, chat_id: str, reply: Reply, message_id: str | None, *,
                      or_send: bool = True) -> str | None:
        """The dispatcher's replacing send: a decided approval's card updated, an approval card's code kept."""
        return await self.sender.replace(chat_id, reply, message_id, or_send=or_send)

    send_replies = send
