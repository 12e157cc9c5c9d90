/* Small page behaviours, kept out of the templates: the Content-Security-Policy (leadflow/settings/base.py)
 * runs scripts from our static files only, so no inline <script> and no onchange="…" attributes.
 * - <select data-autosubmit>: submits its form when changed (rep / team filters).
 * - The call form of the lead card: the callback time shows only when the outcome is "callback". */
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
})();
