/* Live countdowns and elapsed times for the queue and the lead card, and the polling guard.
 * .countdown[data-deadline] (ISO): time left, negative when overdue; data-warn recolours the row.
 * .elapsed[data-since] (ISO): time since. One timer for the page; swapped-in rows are picked up. */
(function () {
  "use strict";

  function fmt(ms) {
    var total = Math.floor(Math.abs(ms) / 1000);
    var h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
    var pad = function (n) { return n < 10 ? "0" + n : "" + n; };
    if (h >= 48) return Math.floor(h / 24) + "d";
    return (h ? h + ":" + pad(m) : m) + ":" + pad(s);
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll(".countdown[data-deadline]").forEach(function (el) {
      var deadline = Date.parse(el.dataset.deadline);
      if (isNaN(deadline)) return;
      var left = deadline - now;
      if (el.dataset.kind === "callback" && left > 0 && left > 3600 * 1000) return; // keep the clock time
      el.textContent = (left < 0 ? "\u2212" : "") + fmt(left);
      el.classList.toggle("overdue", left < 0);
      if (el.dataset.kind !== "sla") return;
      var warn = Date.parse(el.dataset.warn);
      var state = left <= 0 ? "breached" : (!isNaN(warn) && now >= warn ? "warned" : "pending");
      var row = el.closest("tr, .sla-box");
      if (row) {
        row.classList.remove("sla-pending", "sla-warned", "sla-breached");
        row.classList.add("sla-" + state);
      }
      var dot = el.previousElementSibling;
      if (dot && dot.classList.contains("sla-dot")) dot.className = "sla-dot sla-dot-" + state;
    });
    document.querySelectorAll(".elapsed[data-since]").forEach(function (el) {
      var since = Date.parse(el.dataset.since);
      if (!isNaN(since)) el.textContent = fmt(now - since);
    });
  }

  /* The queue polls while the pointer rests on it (a qualifier watching it is who needs it fresh);
     it pauses only while they type in a field of the queue page (the filters) or hold a
     selection in the table (copying a phone number), and while the tab is hidden. */
  function typingIn(scope) {
    var el = document.activeElement;
    if (!el || el === document.body || !scope.contains(el)) return false;
    return el.matches("input:not([type=radio]):not([type=checkbox]):not([type=submit]):not([type=button]), textarea, select");
  }
  function selecting(box) {
    var sel = window.getSelection && window.getSelection();
    return !!(sel && sel.rangeCount && !sel.isCollapsed && box.contains(sel.anchorNode));
  }
  window.queueMayRefresh = function () {
    var box = document.getElementById("queue-table");
    if (!box || document.hidden) return false;
    return !typingIn(document.querySelector("main") || document.body) && !selecting(box);
  };
  /* The SLA panel: not while the lead reads or picks a qualifier to reassign to (the swap would reset it). */
  window.slaPanelMayRefresh = function () {
    var box = document.getElementById("sla-panel");
    if (!box || document.hidden) return false;
    if (box.matches(":hover") || box.matches(":focus-within")) return false;
    return !selecting(box);
  };

  /* data-poll-guard="fn": a poll of that element is sent only when window[fn]() says so. An event
     listener, not an htmx trigger filter ("every 15s [fn()]"), which htmx would eval: the
     Content-Security-Policy forbids eval. */
  document.addEventListener("htmx:confirm", function (event) {
    var elt = event.detail && event.detail.elt;
    var guard = elt && elt.dataset && elt.dataset.pollGuard;
    if (guard && typeof window[guard] === "function" && !window[guard]()) event.preventDefault();
  });

  document.addEventListener("htmx:afterSwap", tick);
  document.addEventListener("DOMContentLoaded", tick);
  setInterval(tick, 1000);
})();
