// Print buttons: <button type="button" data-print hidden>Print</button>. They stay hidden
// without JavaScript (the browser's own Print still works, a button that did nothing would
// not); this shows them and makes a click print the page.
(() => {
  "use strict";
  const start = () => {
    document.querySelectorAll("[data-print]").forEach((button) => {
      button.hidden = false;
      button.addEventListener("click", () => window.print());
    });
  };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
