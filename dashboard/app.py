"""The dashboard's web application: one page, its files, the regions, the live events, a region's history.

``create_app`` takes the feed and the history, so tests give it fakes; the defaults are the
results topic and Cassandra of the settings.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from dashboard.events import KEEPALIVE, row_fields, utc_text
from dashboard.fanout import CLOSED, Broadcaster, TooManyClients
from dashboard.feed import KafkaResultsFeed, ResultsFeed
from dashboard.history import CassandraHistory, HistoryUnavailable, RegionHistory
from dashboard.live import LiveResults
from dashboard.map_shapes import regions_geojson
from dashboard.read_only import ReadOnly
from dashboard.state import CurrentResults
from query.region_names import official_region
from settings import Settings

STATIC = Path(__file__).resolve().parent / "static"
HISTORY_HOURS = 24
# How long a refused page's browser waits before trying again.
RETRY_AFTER_SECONDS = 5


def create_app(
    settings: Settings | None = None, feed: ResultsFeed | None = None, history: RegionHistory | None = None
) -> Starlette:
    """The app; ``feed`` and ``history`` default to the results topic and Cassandra of ``settings``."""
    settings = settings or Settings()
    bounds = settings.dashboard
    feed = feed if feed is not None else KafkaResultsFeed(settings.kafka, bounds.read_committed)
    history = history if history is not None else CassandraHistory(settings.cassandra)
    live = LiveResults(CurrentResults(bounds.hours_kept), Broadcaster(bounds.max_clients, bounds.client_queue_events))
    geojson = regions_geojson()

    async def page(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    async def regions(request: Request) -> Response:
        return Response(geojson, media_type="application/geo+json", headers={"Cache-Control": "max-age=3600"})

    async def events(request: Request) -> Response:
        if request.method == "HEAD":  # no body: a stream would hold a page's place for nothing
            return Response(media_type="text/event-stream", headers={"Cache-Control": "no-store"})
        try:
            subscription = live.subscribe()
        except TooManyClients as refused:
            return PlainTextResponse(f"{refused}: try again later", 503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})

        async def stream() -> AsyncIterator[str]:
            try:
                while True:
                    try:
                        event = await asyncio.wait_for(subscription.next_event(), bounds.keepalive_seconds)
                    except TimeoutError:
                        event = KEEPALIVE
                    if event is CLOSED:
                        return
                    yield event
            finally:
                live.broadcaster.unsubscribe(subscription)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})  # fmt: skip

    async def region_history(request: Request) -> Response:
        try:
            region = official_region(request.path_params["region"])
        except ValueError as error:
            return JSONResponse({"error": str(error)}, 404)
        try:
            rows = await run_in_threadpool(history.last_hours, region, HISTORY_HOURS)
        except HistoryUnavailable as error:
            return JSONResponse({"error": str(error)}, 503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
        return JSONResponse({"region": region, "rows": [row_fields(row) for row in rows]})

    async def status(request: Request) -> Response:
        newest = live.state.newest_hour
        return JSONResponse({
            "live_pages": len(live.broadcaster),
            "rows_held": len(live.state.rows()),
            "newest_hour": None if newest is None else utc_text(newest),
            "bad_records_skipped": live.bad_records,
            "slow_pages_dropped": live.slow_pages_dropped,
        })  # fmt: skip

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        feed.start(live.deliver_from(asyncio.get_running_loop()))
        try:
            yield
        finally:
            live.broadcaster.close_all()
            await asyncio.to_thread(feed.stop)  # off the loop: the feed may wait for it to take a batch
            await asyncio.to_thread(history.close)

    routes = [
        Route("/", page),
        Route("/regions.geojson", regions),
        Route("/events", events),
        Route("/api/regions/{region}/history", region_history),
        Route("/status", status),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(ReadOnly)], lifespan=lifespan)
    app.state.live = live
    return app
