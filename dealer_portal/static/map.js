// The base map (Leaflet, vendored in /static/leaflet) over the server's offline SVG drawing.
//
// An element with data-tiles starts a Leaflet map on that tile server. Until a tile has loaded the page
// keeps showing the offline drawing; the first loaded tile switches to the tiled map
// (<body data-map="tiles">). When the tiles all fail, or none has loaded after data-fallback-after-s,
// the Leaflet map is hidden and the offline drawing stays (<body data-map="fallback">): the decision is
// the browser's, which is the one that must reach the tile server. It keeps asking the server for a
// tile every data-retry-after-s and brings the tiled map back, without a reload, once one arrives.
//
// The fleet board: markers from #fleet-points (JSON, refreshed with each live update), clustered so
// that labels never overlap. The vehicle page: the route of the chosen trips and a replay control.
(function () {
  "use strict";

  function escapeHtml(text) {
    var div = document.createElement("div");
    div.textContent = text || "";
    return div.innerHTML;
  }

  function setMode(mode) {
    document.body.setAttribute("data-map", mode);
  }

  // A Leaflet map on el's tile server; onTiles(map) runs once the first tile has loaded.
  // Modes: probing (waiting for a first tile), tiles, fallback (the offline drawing stands in). In
  // fallback the map is kept, hidden, and one tile is asked for every data-retry-after-s; when the
  // server answers, every tile is requested again (Leaflet's redraw) and the map comes back. A tile
  // that fails while the map is shown is asked for again after the same wait.
  function tiledMap(el, onTiles) {
    if (!window.L) {
      setMode("fallback");
      return null;
    }
    setMode("probing");
    var map = L.map(el, { attributionControl: true, zoomControl: true, preferCanvas: false });
    map.attributionControl.setPrefix(false);
    var template = el.getAttribute("data-tiles");
    var subdomains = el.getAttribute("data-subdomains") || "abc";
    var mode = "probing", started = false, loadedSince = 0, retryTimer = null;
    var retryMs = parseFloat(el.getAttribute("data-retry-after-s") || "15") * 1000;
    var layer = L.tileLayer(template, {
      attribution: escapeHtml(el.getAttribute("data-attribution")),
      subdomains: subdomains,
      maxZoom: parseInt(el.getAttribute("data-max-zoom") || "18", 10),
    });
    function probeUrl() {
      return template.replace("{s}", subdomains.charAt(0)).replace("{z}", "0").replace("{x}", "0")
        .replace("{y}", "0").replace("{r}", "");
    }
    function retry() {
      retryTimer = setTimeout(function () {
        retryTimer = null;
        if (mode !== "fallback") return;
        var probe = new Image();
        probe.onload = function () {
          if (mode !== "fallback") return;
          mode = "probing";
          loadedSince = 0;
          el.hidden = false;
          map.invalidateSize();
          layer.redraw(); // every tile again, now that the server answers
          waitForTiles();
        };
        probe.onerror = retry;
        probe.src = probeUrl(); // a failed connection is not cached: each probe reaches the server
      }, retryMs);
    }
    function fallback() {
      if (mode === "fallback") return;
      mode = "fallback";
      el.hidden = true;
      setMode("fallback");
      if (!retryTimer) retry();
    }
    function waitForTiles() {
      var wait = parseFloat(el.getAttribute("data-fallback-after-s") || "6") * 1000;
      setTimeout(function () { if (mode === "probing" && !loadedSince) fallback(); }, wait);
    }
    layer.on("tileload", function () {
      loadedSince += 1;
      if (mode === "tiles") return;
      mode = "tiles";
      el.hidden = false;
      setMode("tiles");
      map.invalidateSize();
      if (!started) {
        started = true;
        onTiles(map);
      }
    });
    layer.on("tileerror", function (e) { // shown, but this tile failed: ask for it again later
      if (mode !== "tiles") return;
      setTimeout(function () { if (e.tile.parentNode) e.tile.src = layer.getTileUrl(e.coords); }, retryMs);
    });
    layer.on("load", function () { if (mode === "probing" && !loadedSince) setTimeout(fallback, 0); }); // all answered, none loaded
    waitForTiles();
    layer.addTo(map);
    el.mapLayer = layer;
    return map;
  }

  // ---- fleet board -----------------------------------------------------------------------------
  function fleetBoard(el) {
    var cluster = null, fitted = false, map = null;
    function points() {
      var holder = document.getElementById("fleet-points");
      try { return holder ? JSON.parse(holder.getAttribute("data-points")) : []; } catch (e) { return []; }
    }
    function draw() {
      if (!map || !cluster) return;
      cluster.clearLayers();
      var pts = points(), bounds = [];
      pts.forEach(function (p) {
        var marker = L.marker([p.lat, p.lon], {
          icon: L.divIcon({ className: "map-pin " + p.state, iconSize: [14, 14] }),
          title: p.id,
        });
        marker.bindTooltip(escapeHtml(p.id), { permanent: true, direction: "right", className: "map-label" });
        marker.on("click", function () { if (p.href) window.location.href = p.href; });
        cluster.addLayer(marker);
        bounds.push([p.lat, p.lon]);
      });
      if (!fitted && bounds.length) {
        map.fitBounds(bounds, { padding: [30, 30], maxZoom: 15 });
        fitted = true;
      }
    }
    var first = points();
    var centre = first.length ? [first[0].lat, first[0].lon] : [0, 0];
    map = tiledMap(el, function () {
      cluster = L.markerClusterGroup({ maxClusterRadius: 60, showCoverageOnHover: false });
      map.addLayer(cluster);
      draw();
    });
    if (!map) return;
    map.setView(centre, first.length ? 12 : 2);
    document.body.addEventListener("htmx:afterSettle", draw); // a live update brought new positions
  }

  // ---- vehicle page: route and replay ----------------------------------------------------------
  function routeReplay(box) {
    var data;
    try { data = JSON.parse(box.getAttribute("data-route")); } catch (e) { return; }
    var samples = data.points || [];
    var slider = box.querySelector("[data-replay=slider]");
    var play = box.querySelector("[data-replay=play]");
    var readout = box.querySelector("[data-replay=readout]");
    var svgDot = box.querySelector(".replay-dot");
    var tilesEl = box.querySelector("[data-tiles]");
    var marker = null, timer = null;
    if (!samples.length || !slider) return;

    if (tilesEl) {
      var map = tiledMap(tilesEl, function (m) {
        var lines = [];
        (data.trips || []).forEach(function (t) {
          var line = samples.slice(t[0], t[1] + 1).map(function (s) { return [s.lat, s.lon]; });
          lines.push(L.polyline(line, { color: "#2563eb", weight: 4 }).addTo(m));
        });
        if (lines.length) m.fitBounds(L.featureGroup(lines).getBounds(), { padding: [20, 20] });
        marker = L.circleMarker([samples[0].lat, samples[0].lon], { radius: 8, color: "#ef4444", fillOpacity: 0.9 }).addTo(m);
        show(parseInt(slider.value, 10) || 0);
      });
      if (map) map.setView([samples[0].lat, samples[0].lon], 13);
    }

    function show(i) {
      var s = samples[i];
      if (!s) return;
      slider.value = String(i);
      box.setAttribute("data-replay-index", String(i));
      if (svgDot && s.x !== undefined) {
        svgDot.setAttribute("cx", s.x);
        svgDot.setAttribute("cy", s.y);
      }
      if (marker) marker.setLatLng([s.lat, s.lon]);
      if (readout) readout.textContent = s.t + " · " + (s.v === null ? "—" : Math.round(s.v) + " km/h");
    }
    function stop() {
      if (timer) clearInterval(timer);
      timer = null;
      play.setAttribute("aria-pressed", "false");
    }
    slider.addEventListener("input", function () { stop(); show(parseInt(slider.value, 10)); });
    play.addEventListener("click", function () {
      if (timer) return stop();
      var i = parseInt(slider.value, 10);
      if (i >= samples.length - 1) i = 0;
      play.setAttribute("aria-pressed", "true");
      timer = setInterval(function () {
        show(i);
        i += 1;
        if (i >= samples.length) stop();
      }, parseInt(box.getAttribute("data-step-ms") || "150", 10));
    });
    show(0);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var board = document.getElementById("fleet-tiles");
    if (board) fleetBoard(board);
    document.querySelectorAll("[data-route]").forEach(routeReplay);
  });
})();
