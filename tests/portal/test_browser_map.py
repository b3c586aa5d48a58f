"""The base map in real headless Chromium: the fleet board shows tiles from a tile server the test
starts on loopback (clustered markers, labels apart), falls back to the offline drawing when that
server is down, and the vehicle page replays a stored trip on the map."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from playwright.sync_api import expect

from tests.support.portal import login
from tests.support.routes import add_minute_trip, add_raw_trip
from tests.support.tiles import TileServer

pytestmark = pytest.mark.browser

DAY = (datetime.now(UTC) - timedelta(days=1)).date()


@pytest.fixture(scope="module")
def tile_server():
    from dealer_portal.background_server import free_port

    server = TileServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def map_portal(sample_db, tile_server):
    """The sample portal configured with the loopback tile server, VAN-1 with two stored trips."""
    from dealer_portal.app import create_app
    from dealer_portal.background_server import serve
    from dealer_portal.settings import MapSettings, PortalSettings
    from gateway.db.session import make_engine, make_sessionmaker

    engine = make_engine(sample_db)
    with make_sessionmaker(engine)() as db:
        start = datetime.combine(DAY, time(8, 0), UTC)
        add_minute_trip(db, "VAN-1", start, 12, 52.52, 13.40)
        add_raw_trip(db, "VAN-1", start + timedelta(minutes=90), 300, 52.50, 13.45)
        db.commit()
    engine.dispose()
    settings = PortalSettings(
        map=MapSettings(
            tile_url=tile_server.url_template,
            attribution="loopback tiles",
            fallback_after_s=4,
            retry_after_s=1,
        )
    )
    with serve(create_app(sample_db, settings)) as url:
        yield url


def _loaded_tiles(page, server: TileServer) -> list[str]:
    return page.eval_on_selector_all(
        "img.leaflet-tile-loaded",
        "imgs => imgs.filter(i => i.complete && i.naturalWidth > 0).map(i => i.src)",
    )


def _overlaps(boxes: list[dict]) -> list[tuple[int, int]]:
    return [
        (i, j)
        for i, a in enumerate(boxes)
        for j, b in enumerate(boxes[i + 1 :], i + 1)
        if a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    ]


def test_the_board_shows_tiles_from_the_tile_server_then_falls_back_when_it_is_down(
    browser_page, map_portal, tile_server
):
    page = browser_page
    tile_server.start() if tile_server._server is None else None
    login(page, map_portal, "dora")
    page.goto(f"{map_portal}/fleet")
    expect(page.locator("body")).to_have_attribute("data-map", "tiles")
    expect(page.get_by_test_id("tile-map")).to_be_visible()
    expect(page.locator("svg.fleet-map")).to_be_hidden()
    expect(page.locator("img.leaflet-tile-loaded").first).to_be_attached()
    loaded = _loaded_tiles(page, tile_server)
    assert loaded and all(src.startswith(f"http://127.0.0.1:{tile_server.port}/") for src in loaded)
    assert any(path.endswith(".png") for path in tile_server.requests)
    expect(page.locator(".leaflet-control-attribution")).to_contain_text("loopback tiles")
    # six vans around Berlin: markers or clusters, and no two labels on top of each other
    expect(page.locator(".leaflet-marker-icon").first).to_be_visible()
    labels = [
        box for box in (t.bounding_box() for t in page.locator(".leaflet-tooltip.map-label").all()) if box
    ]
    assert _overlaps(labels) == []
    # a live update keeps the map (hx-preserve) and its markers
    page.evaluate("htmx.trigger(document.body, 'live-change')")
    page.wait_for_timeout(500)
    expect(page.locator("body")).to_have_attribute("data-map", "tiles")
    expect(page.locator(".leaflet-marker-icon").first).to_be_visible()

    tile_server.stop()
    page.goto(f"{map_portal}/fleet")
    expect(page.locator("body")).to_have_attribute("data-map", "fallback", timeout=10_000)
    expect(page.locator("svg.fleet-map")).to_be_visible()
    expect(page.locator("svg.fleet-map .map-dot").first).to_be_visible()
    expect(page.get_by_test_id("tile-map")).to_be_hidden()
    tile_server.start()


def test_the_map_comes_back_by_itself_when_the_tile_server_is_up_again(browser_page, map_portal, tile_server):
    """Down: the offline drawing; up again: Leaflet asks again and shows the tiles, on the same page."""
    page = browser_page
    login(page, map_portal, "dora")
    tile_server.stop()
    try:
        page.goto(f"{map_portal}/fleet")
        expect(page.locator("body")).to_have_attribute("data-map", "fallback", timeout=10_000)
        expect(page.locator("svg.fleet-map")).to_be_visible()
        expect(page.get_by_test_id("tile-map")).to_be_hidden()
        page.evaluate("window.sameDocument = true")  # gone if the page were reloaded
        page.wait_for_timeout(2500)  # a few probes fail while the server is down
        expect(page.locator("body")).to_have_attribute("data-map", "fallback")
    finally:
        tile_server.start()
    asked = len(tile_server.requests)
    expect(page.locator("body")).to_have_attribute("data-map", "tiles", timeout=10_000)
    expect(page.get_by_test_id("tile-map")).to_be_visible()
    expect(page.locator("svg.fleet-map")).to_be_hidden()
    expect(page.locator("img.leaflet-tile-loaded").first).to_be_attached()
    assert _loaded_tiles(page, tile_server)
    assert len(tile_server.requests) > asked
    expect(page.locator(".leaflet-marker-icon").first).to_be_visible()  # the markers came with the tiles
    assert page.evaluate("window.sameDocument") is True


def test_the_vehicle_page_replays_a_stored_trip_and_shows_its_timeline(browser_page, map_portal, tile_server):
    page = browser_page
    login(page, map_portal, "dora")
    page.goto(f"{map_portal}/vehicles/VAN-1?day={DAY.isoformat()}")
    trips = page.get_by_test_id("trips").locator("li[data-trip]")
    expect(trips).to_have_count(2)  # split at the stop between them
    expect(trips.nth(0)).to_contain_text("08:00")
    expect(page.locator("body")).to_have_attribute("data-map", "tiles")
    expect(page.locator(".leaflet-overlay-pane path").first).to_be_attached()  # the route drawn on tiles
    route = page.get_by_test_id("route")
    readout = page.get_by_test_id("replay-readout")
    expect(readout).to_contain_text("08:00:50")
    route.locator("[data-replay=play]").click()
    expect(route).not_to_have_attribute("data-replay-index", "0")
    expect(readout).not_to_contain_text("08:00:50")
    # one trip chosen: only its points, replayable by dragging the slider to its end
    trips.nth(1).get_by_role("link").click()
    expect(page.get_by_test_id("trips").locator("a.active")).to_contain_text("09:30")
    slider = page.locator("[data-replay=slider]")
    last = slider.get_attribute("max")
    assert int(last) == 30  # 300 s of raw rows every 10 s
    slider.fill(last)
    expect(readout).to_contain_text("09:35:00")
    timeline = page.get_by_test_id("timeline")
    expect(timeline.locator("li[data-kind=trip]").first).to_be_visible()
    expect(timeline).to_contain_text("km")
    # the tile server down: the same replay on the offline drawing
    tile_server.stop()
    try:
        page.reload()
        expect(page.locator("body")).to_have_attribute("data-map", "fallback", timeout=10_000)
        dot = page.locator("svg.route-svg .replay-dot")
        expect(dot).to_be_visible()
        start_y = float(dot.get_attribute("cy"))
        page.locator("[data-replay=slider]").fill("30")
        expect(readout).to_contain_text("09:35:00")
        assert float(dot.get_attribute("cy")) < start_y - 50  # the dot went north along the route
        assert page.locator("svg.route-svg .route-line").count() == 1
    finally:
        tile_server.start()
