// Fills the missing translations of a record page from the server-sent event stream, showing progress.
(function () {
  const bar = document.getElementById("translation-bar");
  if (!bar) return;
  const status = document.getElementById("translation-status");
  const progress = document.getElementById("translation-progress");
  const source = new EventSource(`/api/records/${bar.dataset.pmid}/translation?to=${encodeURIComponent(bar.dataset.target)}`);
  source.onmessage = (message) => {
    const event = JSON.parse(message.data);
    if (event.type === "start" || event.type === "unit") {
      progress.max = event.total;
      progress.value = event.done;
      status.textContent = `${status.dataset.working || "翻译中"} ${event.done}/${event.total}`;
    }
    if (event.type === "unit") {
      // The server sends sanitised markup (only <i> <b> <u> <sup> <sub>).
      document.querySelectorAll(`[data-unit="${event.index}"]`).forEach((el) => {
        el.innerHTML = event.target;
        if (event.flagged) {
          el.parentElement.classList.add("flagged");
          el.title = event.problems.join("; ");
        }
      });
    } else if (event.type === "done") {
      status.textContent = status.dataset.finished || "翻译完成";
      source.close();
    } else if (event.type === "error") {
      status.textContent = event.message;
      source.close();
    }
  };
  source.onerror = () => { source.close(); };
})();
