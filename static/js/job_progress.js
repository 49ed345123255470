// A long job's page while the job runs (an export, an import): poll its progress JSON, move
// the bar, say where it stands, and load the page again once the job is finished or has moved
// to another phase. Hooked by data-* attributes, the same on every job page:
//
//   <div data-job-progress-url="…/progress.json" data-job-status="running">   the job's status as rendered
//     <div role="progressbar" data-job-bar …><div class="progress-bar" …><span data-job-percent></span></div></div>
//     <p data-job-text aria-live="polite">…</p>
//   </div>
//
// The JSON (booking_site.lib.jobs.job_progress_data): {status, status_display, finished, done,
// total, percent, text, url}; `url` is the page to load when `finished` is true or `status`
// differs from data-job-status. Without JavaScript the page refreshes itself instead (a
// <noscript> meta refresh), so nothing here is needed for the page to work.
(() => {
  "use strict";
  const EVERY_MS = 1500; // between polls while the job runs
  const AFTER_ERROR_MS = 5000; // a network hiccup or a server error: try again, less often

  const show = (box, data) => {
    const bar = box.querySelector("[data-job-bar]");
    if (bar) {
      bar.setAttribute("aria-valuenow", String(data.percent));
      const fill = bar.firstElementChild;
      if (fill) fill.style.width = `${data.percent}%`;
      const label = bar.querySelector("[data-job-percent]");
      if (label) label.textContent = `${data.percent}%`;
    }
    const text = box.querySelector("[data-job-text]");
    if (text && text.textContent !== data.text) text.textContent = data.text;
  };

  const follow = (box) => {
    const poll = async () => {
      let wait = EVERY_MS;
      try {
        const response = await fetch(box.dataset.jobProgressUrl, {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
          cache: "no-store",
        });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const data = await response.json();
        show(box, data);
        if (data.finished || data.status !== box.dataset.jobStatus) {
          window.location.assign(data.url || window.location.href);
          return;
        }
      } catch (error) {
        wait = AFTER_ERROR_MS;
      }
      window.setTimeout(poll, wait);
    };
    window.setTimeout(poll, EVERY_MS);
  };

  const start = () => document.querySelectorAll("[data-job-progress-url]").forEach(follow);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
