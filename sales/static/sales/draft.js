/* A form's draft in the browser (localStorage) until the server confirms it: a flaky connection on a
 * client's staircase loses nothing that was typed.
 *
 * <form data-draft="measurement:12" data-draft-bound="0|1"> — every change is saved under that key;
 * a fresh form (not bound: not sent back by the server with errors) is filled from the draft, the
 * hidden submission key included, so the retry of a submit that never got an answer is recognised
 * by the server as the same measurement. An element with data-draft-done="measurement:12" (the page
 * the server shows once the measurement is recorded) removes the draft. Files cannot be kept.
 */
(function () {
  "use strict";
  var PREFIX = "leadflow-draft:";

  function storage() {
    try {
      var probe = PREFIX + "probe";
      window.localStorage.setItem(probe, "1");
      window.localStorage.removeItem(probe);
      return window.localStorage;
    } catch (error) {
      return null; // private mode or storage full: the form still works, without a draft
    }
  }

  function fields(form) {
    return Array.prototype.filter.call(form.elements, function (element) {
      return element.name && element.name !== "csrfmiddlewaretoken" && element.type !== "file" &&
        element.type !== "submit" && element.type !== "button";
    });
  }

  function read(form) {
    var values = {};
    fields(form).forEach(function (element) {
      if (element.type === "checkbox" || element.type === "radio") {
        values[element.name] = values[element.name] || [];
        if (element.checked) values[element.name].push(element.value);
      } else {
        values[element.name] = element.value;
      }
    });
    return values;
  }

  function fill(form, values) {
    var restored = false;
    fields(form).forEach(function (element) {
      if (!Object.prototype.hasOwnProperty.call(values, element.name)) return;
      var value = values[element.name];
      if (element.type === "checkbox" || element.type === "radio") {
        var checked = Array.isArray(value) && value.indexOf(element.value) !== -1;
        if (element.checked !== checked) restored = true;
        element.checked = checked;
      } else if (typeof value === "string" && element.value !== value) {
        element.value = value;
        restored = restored || element.type !== "hidden";
      }
    });
    return restored;
  }

  function start() {
    var store = storage();
    if (!store) return;
    document.querySelectorAll("[data-draft-done]").forEach(function (element) {
      store.removeItem(PREFIX + element.getAttribute("data-draft-done"));
    });
    document.querySelectorAll("form[data-draft]").forEach(function (form) {
      var key = PREFIX + form.getAttribute("data-draft");
      var saved = store.getItem(key);
      if (saved && form.getAttribute("data-draft-bound") !== "1") {
        try {
          if (fill(form, JSON.parse(saved))) {
            var note = form.querySelector("[data-draft-note]");
            if (note) note.hidden = false;
          }
        } catch (error) {
          store.removeItem(key);
        }
      }
      var save = function () {
        try {
          store.setItem(key, JSON.stringify(read(form)));
        } catch (error) { /* storage full: keep going without a draft */ }
      };
      form.querySelectorAll("input[type=file]").forEach(function (input) {
        var count = form.querySelector("[data-photo-count]");
        if (!count) return;
        input.addEventListener("change", function () {
          count.textContent = input.files.length ? count.getAttribute("data-label") + " " + input.files.length : "";
        });
      });
      form.addEventListener("input", save);
      form.addEventListener("change", save);
      form.addEventListener("submit", function () {
        save();
        var button = form.querySelector("button:not([type=button])");
        if (button) {
          // one tap sends once; the server's submission key covers a retry after a lost answer
          window.setTimeout(function () { button.disabled = true; }, 0);
          window.setTimeout(function () { button.disabled = false; }, 15000);
        }
      });
      save();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
