// Small htmx glue. The pages work without it: every hx-* control is also a plain link or form.
(function () {
  "use strict";
  // htmx does not swap 4xx/5xx answers; show their message instead of failing silently.
  document.addEventListener("htmx:responseError", function (event) {
    var box = document.getElementById("request-error");
    if (!box) { return; }
    var xhr = event.detail.xhr;
    var doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
    var detail = doc.querySelector("[data-error-message]");
    box.textContent = (detail ? detail.textContent.trim() : "") ||
      ("The server answered " + xhr.status + ". Please reload the page and try again.");
    box.hidden = false;
  });
  document.addEventListener("htmx:sendError", function () {
    var box = document.getElementById("request-error");
    if (box) { box.textContent = "The studio could not be reached. Check your connection."; box.hidden = false; }
  });
  // The brand menu is a <details>, open in the HTML: a tap-to-open list on phones, always
  // open on wide screens. Without this script every item simply stays in view.
  document.documentElement.classList.add("js");
  var wide = window.matchMedia("(min-width: 701px)");
  function syncMenus() {
    document.querySelectorAll("details.menu").forEach(function (menu) { menu.open = wide.matches; });
  }
  syncMenus();
  wide.addEventListener("change", syncMenus);
  document.addEventListener("htmx:historyRestore", syncMenus);
  document.addEventListener("htmx:beforeRequest", function () {
    var box = document.getElementById("request-error");
    if (box) { box.hidden = true; }
  });
})();
