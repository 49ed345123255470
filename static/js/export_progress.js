// The export page while the file is being written: poll the progress JSON and move the bar;
// once the job is no longer running, reload to show the download link (or the failure).
// Without JavaScript the page refreshes itself instead (a <noscript> meta refresh).
document.addEventListener("DOMContentLoaded", () => {
  const box = document.querySelector("[data-export-progress]");
  if (!box) return;
  const meter = box.querySelector("[role=progressbar]");
  const bar = meter.querySelector(".progress-bar");
  const text = box.querySelector("[data-progress-text]");
  const poll = async () => {
    try {
      const response = await fetch(box.dataset.exportProgress, { headers: { Accept: "application/json" } });
      if (response.ok) {
        const data = await response.json();
        if (!data.in_progress) {
          window.location.reload();
          return;
        }
        meter.setAttribute("aria-valuenow", data.percent);
        bar.style.width = `${data.percent}%`;
        bar.textContent = `${data.percent}%`;
        text.textContent = data.text;
      }
    } catch (error) {
      // A network hiccup: try again on the next tick.
    }
    window.setTimeout(poll, 1500);
  };
  window.setTimeout(poll, 1000);
});
