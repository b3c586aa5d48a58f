// A select marked data-autosubmit submits its form on change (no inline handlers: the CSP allows
// only these files' scripts).
document.addEventListener("change", function (e) {
  if (e.target.matches && e.target.matches("select[data-autosubmit]")) e.target.form.submit();
});

// Live pages: an element with data-live-src opens an EventSource; each `change` event fires the
// `live-change` event on <body>, which htmx elements listen to (hx-trigger="live-change from:body").
// The first change refreshes at once; a burst after it (a fleet reports every second) is folded into
// at most one refresh per 500 ms.
document.addEventListener("DOMContentLoaded", function () {
  var live = document.querySelector("[data-live-src]");
  if (!live || !window.EventSource) return;
  var source = new EventSource(live.getAttribute("data-live-src"));
  var last = 0, pending = null;
  function refresh() {
    pending = null;
    last = Date.now();
    htmx.trigger(document.body, "live-change");
  }
  source.addEventListener("ready", function () { live.setAttribute("data-live", "connected"); });
  source.addEventListener("change", function () {
    if (pending) return;
    pending = setTimeout(refresh, Math.max(0, 500 - (Date.now() - last)));
  });
  source.onerror = function () { live.setAttribute("data-live", "reconnecting"); };
});

// A button marked data-fill-field puts its data-fill-value into that field of its form (e.g. a rested
// driver suggested by the fatigue warning).
document.addEventListener("click", function (e) {
  var b = e.target.closest && e.target.closest("[data-fill-field]");
  if (!b || !b.form) return;
  var input = b.form.elements[b.getAttribute("data-fill-field")];
  if (!input) return;
  input.value = b.getAttribute("data-fill-value");
  input.dispatchEvent(new Event("change", { bubbles: true })); // e.g. the driver's fatigue check again
  input.focus();
});
