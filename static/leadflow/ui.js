/* Small page behaviours, kept out of the templates: the Content-Security-Policy (leadflow/settings/base.py)
 * runs scripts from our static files only, so no inline <script> and no onchange="…" attributes.
 * - <select data-autosubmit>: submits its form when changed (rep / team filters).
 * - The call form of the lead card: the callback time shows only when the outcome is "callback".
 * - The deal board's tabs on a phone ([data-board-tab]): show that column without a page load; the
 *   board's poll carries the chosen column (#board-active-column) so a refresh keeps it. Without
 *   JavaScript each tab is a link to ?column=… */
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("[data-autosubmit]") && el.form) {
      el.form.submit();
    }
  });

  function syncCallbackField() {
    var box = document.querySelector(".callback-field");
    if (!box) return;
    var callback = document.getElementById("outcome-callback");
    box.style.display = callback && callback.checked ? "" : "none";
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("input[name=outcome]")) {
      syncCallbackField();
    }
  });
  document.addEventListener("DOMContentLoaded", syncCallbackField);

  document.addEventListener("click", function (event) {
    var tab = event.target.closest && event.target.closest("[data-board-tab]");
    if (!tab) return;
    var board = tab.closest(".board");
    if (!board) return;
    event.preventDefault();
    var key = tab.getAttribute("data-board-tab");
    board.querySelectorAll("[data-board-tab]").forEach(function (other) {
      var on = other === tab;
      other.classList.toggle("is-active", on);
      if (on) other.setAttribute("aria-current", "true");
      else other.removeAttribute("aria-current");
    });
    board.querySelectorAll(".board-column").forEach(function (column) {
      column.classList.toggle("is-active", column.getAttribute("data-column") === key);
    });
    var input = document.getElementById("board-active-column");
    if (input) input.value = key;
    if (window.history && window.history.replaceState) window.history.replaceState(null, "", tab.getAttribute("href"));
  });
})();
