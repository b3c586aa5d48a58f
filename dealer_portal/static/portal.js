// Live pages: an element with data-live-src opens an EventSource; each `change` event fires the
// `live-change` event on <body>, which htmx elements listen to (hx-trigger="live-change from:body").
// Bursts of changes (a fleet reports every second) are folded into one refresh per 500 ms at most.
document.addEventListener("DOMContentLoaded", function () {
  var live = document.querySelector("[data-live-src]");
  if (!live || !window.EventSource) return;
  var source = new EventSource(live.getAttribute("data-live-src"));
  var pending = null;
  source.addEventListener("ready", function () { live.setAttribute("data-live", "connected"); });
  source.addEventListener("change", function () {
    if (pending) return;
    pending = setTimeout(function () { pending = null; htmx.trigger(document.body, "live-change"); }, 500);
  });
  source.onerror = function () { live.setAttribute("data-live", "reconnecting"); };
});
