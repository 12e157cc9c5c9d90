/* The qualifier's workspace at 60 calls a day (issue 16 §5): keyboard shortcuts with a help overlay on
 * "?", and the opt-in sound + desktop notification when a lead lands in an empty queue or a callback
 * falls due. No inline script (the CSP): the page marks what the keys act on, the texts come translated.
 *
 * Shortcuts: an element [data-shortcut="<name>"] is the target of a key (KEYS below). A button or link
 * is clicked; a form gets the focus on its first field (a decision is never sent by one key press).
 * Keys are read by their position (event.code), so "n" works on a Russian layout (where it types "т").
 * Nothing fires while typing in a field or with Ctrl, Alt or Cmd held.
 *
 * Alerts: the toggle [data-alerts-toggle] (data-sound, data-msg-*) turns them on for this browser
 * (localStorage "leadflow.alerts"); the browser asks for the notification permission on that click
 * only. After each refresh of the queue (#queue-table), rows [data-unclaimed] going from none to some
 * and a row newly [data-callback-due] ring the chime and show a notification. */
(function () {
  "use strict";

  var KEYS = { KeyN: "next", KeyC: "call", KeyL: "log", KeyQ: "qualify", KeyD: "disqualify", KeyB: "book" };
  var STORE = "leadflow.alerts";

  function typing(target) {
    if (!target || !target.closest) return false;
    // a radio, a checkbox or a button takes no text: the keys still work there (after "l" picks an outcome)
    var field = target.closest("input, textarea, select, [contenteditable=''], [contenteditable=true]");
    return !!field && !(field.tagName === "INPUT" && /^(radio|checkbox|button|submit|reset)$/.test(field.type));
  }

  function visible(el) {
    return !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  }

  function target(name) {
    var all = document.querySelectorAll('[data-shortcut="' + name + '"]');
    for (var i = 0; i < all.length; i++) if (visible(all[i]) && !all[i].disabled) return all[i];
    return null;
  }

  function act(el) {
    if (el.tagName === "FORM" || el.tagName === "FIELDSET") {
      var field = el.querySelector("input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled])");
      el.scrollIntoView({ block: "center" });
      if (field) {
        var checked = field.type === "radio" ? el.querySelector("input[type=radio]:checked") : null;
        (checked || field).focus();
      }
      return;
    }
    el.click();
  }

  /* --- the help overlay ------------------------------------------------------------------------- */
  var opener = null;

  function overlay() { return document.getElementById("shortcuts-help"); }

  function openHelp() {
    var box = overlay();
    if (!box || !box.hidden) return;
    opener = document.activeElement;
    box.hidden = false;
    var close = box.querySelector("[data-shortcuts-close]");
    if (close) close.focus();
  }

  function closeHelp() {
    var box = overlay();
    if (!box || box.hidden) return;
    box.hidden = true;
    if (opener && opener.focus) opener.focus();
    opener = null;
  }

  document.addEventListener("keydown", function (event) {
    var box = overlay();
    if (!box) return; // not a workspace page
    if (event.key === "Escape" && !box.hidden) {
      event.preventDefault();
      closeHelp();
      return;
    }
    if (event.key === "Tab" && !box.hidden) {
      // a modal dialog: the focus stays on its one control (the close button)
      event.preventDefault();
      var close = box.querySelector("[data-shortcuts-close]");
      if (close) close.focus();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    if (typing(event.target)) return;
    if (event.key === "?") {
      event.preventDefault();
      if (box.hidden) openHelp(); else closeHelp();
      return;
    }
    if (event.shiftKey || !box.hidden) return;
    var name = KEYS[event.code];
    var el = name && target(name);
    if (!el) return;
    event.preventDefault();
    act(el);
  });

  document.addEventListener("click", function (event) {
    var el = event.target;
    if (!el.closest) return;
    if (el.closest("[data-shortcuts-open]")) { event.preventDefault(); openHelp(); return; }
    if (el.closest("[data-shortcuts-close]") || el.id === "shortcuts-help") { event.preventDefault(); closeHelp(); }
  });

  /* --- sound and desktop notifications ---------------------------------------------------------- */
  function toggle() { return document.querySelector("[data-alerts-toggle]"); }

  function alertsOn() {
    try { return window.localStorage.getItem(STORE) === "on"; } catch (e) { return false; }
  }

  function showToggle() {
    var el = toggle();
    if (!el) return;
    var on = alertsOn();
    el.setAttribute("aria-pressed", on ? "true" : "false");
    el.classList.toggle("btn-warning", on);
    el.classList.toggle("btn-outline-secondary", !on);
    var label = el.querySelector("[data-alerts-label]");
    if (label) label.textContent = on ? el.dataset.labelOn : el.dataset.labelOff;
  }

  function chime() {
    var el = toggle();
    if (!el || !el.dataset.sound || typeof window.Audio !== "function") return;
    try {
      var played = new window.Audio(el.dataset.sound).play();
      if (played && played.catch) played.catch(function () {});
    } catch (e) { /* no audio device: the notification still shows */ }
  }

  function notify(title, body, tag) {
    chime();
    if (!("Notification" in window) || window.Notification.permission !== "granted") return;
    try {
      var shown = new window.Notification(title, { body: body || "", tag: tag, lang: document.documentElement.lang });
      shown.onclick = function () { window.focus(); shown.close(); };
    } catch (e) { /* a platform that allows notifications only from a service worker */ }
  }

  document.addEventListener("click", function (event) {
    var el = event.target.closest && event.target.closest("[data-alerts-toggle]");
    if (!el) return;
    var on = !alertsOn();
    try { window.localStorage.setItem(STORE, on ? "on" : "off"); } catch (e) { /* private mode */ }
    showToggle();
    if (!on) return;
    chime(); // the click lets the page play sound from now on, and lets the qualifier hear it
    if ("Notification" in window && window.Notification.permission === "default") {
      window.Notification.requestPermission();
    }
  });

  var seen = null; // {unclaimed: n, due: {leadId: true}} as last shown

  function snapshot() {
    var box = document.getElementById("queue-table");
    if (!box) return null;
    var due = {};
    box.querySelectorAll("[data-callback-due]").forEach(function (row) { due[row.dataset.leadId] = row.dataset.leadName || ""; });
    return { unclaimed: box.querySelectorAll("[data-unclaimed]").length, due: due };
  }

  function compare() {
    var now = snapshot();
    if (!now) return;
    var before = seen;
    seen = now;
    if (!before || !alertsOn()) return;
    var el = toggle();
    if (!el) return;
    if (before.unclaimed === 0 && now.unclaimed > 0) notify(el.dataset.msgNewLead, el.dataset.msgNewLeadBody, "leadflow-new-lead");
    Object.keys(now.due).forEach(function (id) {
      if (!(id in before.due)) notify(el.dataset.msgCallback, now.due[id], "leadflow-callback-" + id);
    });
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail && event.detail.target && event.detail.target.id === "queue-table") compare();
  });
  document.addEventListener("htmx:afterSettle", function () { if (document.getElementById("queue-table")) compare(); });
  document.addEventListener("DOMContentLoaded", function () { showToggle(); seen = snapshot(); });
})();
