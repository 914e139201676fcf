"""The aiohttp server: /healthz, the channels' routes, and a shutdown that finishes the work already accepted.

On SIGTERM (web.run_app turns it into GracefulExit) aiohttp stops listening, then runs on_shutdown: channels stop
taking updates (polling) and every background task started for an accepted update is awaited; on_cleanup then
closes the bots' connections and the database pool.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from sqlalchemy import text

from bot.channels import Channel, keep_leases
from bot.composition import AppParts, build_app_parts, build_background, webhooks_context
from bot.scheduler import Background
from core.config import Config

log = logging.getLogger(__name__)
PARTS = web.AppKey("parts", AppParts)
RETRIES = web.AppKey("channel_start_retries", set[asyncio.Task[None]])
BACKGROUND = web.AppKey("background", Background)
LEASES = web.AppKey("inbox_leases", asyncio.Task[None])
HEALTH_TIMEOUT = 5.0
START_RETRY = 5.0
# after refusing an oversized body, wait at most this long for the client to stop sending (aiohttp's default: 10 s)
LINGERING_TIME = 1.0


def build_app(parts: AppParts, *, background: bool = False) -> web.Application:
    """The web application: health check and every channel's routes, with startup and graceful shutdown;
    with `background`, also the outbox dispatcher and the scheduled jobs (leader-elected across processes)."""
    app = web.Application(client_max_size=2 * 1024 * 1024)
    app[PARTS] = parts
    app.router.add_get("/healthz", healthz)
    for channel in parts.channels:
        channel.mount(app)
    app.on_startup.append(_start_channels)
    if background:
        app.on_startup.append(_start_background)
        app.cleanup_ctx.append(webhooks_context(parts.books.uow, parts.books.config))
        app.on_shutdown.append(_stop_background)
    app.on_shutdown.append(_drain)
    app.on_cleanup.append(_close)
    return app


async def healthz(request: web.Request) -> web.Response:
    """200 when the database answers SELECT 1, else 503."""
    engine = request.app[PARTS].books.uow.engine

    def ping() -> None:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1")).scalar_one()

    try:
        await asyncio.wait_for(asyncio.to_thread(ping), HEALTH_TIMEOUT)
    except Exception as error:  # any failure to reach the database means unhealthy
        log.warning("healthz: database unreachable: %s", type(error).__name__)
        return web.json_response({"status": "unavailable", "database": "unreachable"}, status=503)
    return web.json_response({"status": "ok", "database": "ok"})


async def _start_channels(app: web.Application) -> None:
    """Start every channel; one that cannot start yet (database or messenger unreachable) is retried in the
    background, so that the server still answers /healthz meanwhile."""
    retries: set[asyncio.Task[None]] = set()
    app[RETRIES] = retries
    engine = app[PARTS].engine
    app[LEASES] = asyncio.create_task(keep_leases(engine, engine.lease.total_seconds() / 3), name="inbox-leases")
    for channel in app[PARTS].channels:
        try:
            await channel.start()
            log.info("channel %s started", channel.name)
        except Exception:
            log.exception("channel %s could not start; retrying every %.0f s", channel.name, START_RETRY)
            retries.add(asyncio.create_task(_keep_starting(channel), name=f"start-{channel.name}"))


async def _keep_starting(channel: Channel) -> None:
    while True:
        await asyncio.sleep(START_RETRY)
        try:
            await channel.start()
        except Exception as error:
            log.warning("channel %s still cannot start: %s", channel.name, error)
        else:
            log.info("channel %s started", channel.name)
            return


async def _start_background(app: web.Application) -> None:
    """Start delivering the outbox and running scheduled jobs once the channels are up."""
    parts = app[PARTS]
    running = build_background(parts.books.config, parts.books.uow, parts.engine.texts, parts.channels,
                               parts.engine)
    await running.start()
    app[BACKGROUND] = running


async def _stop_background(app: web.Application) -> None:
    """Stop the jobs and give up the scheduler lease before the channels close."""
    running = app.get(BACKGROUND)
    if running is not None:
        await running.stop()


async def _drain(app: web.Application) -> None:
    parts = app[PARTS]
    for task in app.get(RETRIES, set()):
        task.cancel()
    for channel in parts.channels:
        try:
            await channel.drain()
        except Exception:
            log.exception("channel %s did not drain cleanly", channel.name)
    if len(parts.in_flight):
        log.info("shutdown: finishing %d update(s) in flight", len(parts.in_flight))
    await parts.in_flight.wait(parts.shutdown_timeout)


async def _close(app: web.Application) -> None:
    parts = app[PARTS]
    await parts.in_flight.wait(parts.shutdown_timeout)
    if LEASES in app:
        app[LEASES].cancel()
    for channel in parts.channels:
        try:
            await channel.stop()
        except Exception:
            log.exception("channel %s did not stop cleanly", channel.name)
    parts.books.close()


def make_runner(app: web.Application) -> web.AppRunner:
    """A runner for embedding the server (tests, benchmarks) with the options `run_server` uses."""
    return web.AppRunner(app, handle_signals=False, lingering_time=LINGERING_TIME, access_log=None)


def run_server(config: Config) -> None:
    """Serve until SIGINT or SIGTERM (`jxc serve`)."""
    parts = build_app_parts(config)
    host = str(config.get("server", "host", "127.0.0.1"))
    port = int(config.get("server", "port", 8080))
    log.info("serving on %s:%d with channels %s", host, port, [c.name for c in parts.channels] or "none")
    background = bool(config.get("scheduler", "enabled", True))
    web.run_app(build_app(parts, background=background), host=host, port=port, shutdown_timeout=parts.shutdown_timeout,
                handle_signals=True, print=None, access_log=None, lingering_time=LINGERING_TIME)
