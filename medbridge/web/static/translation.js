// Fills the missing translations of a record page from the server-sent event stream, showing progress.
(function () {
  const bar = document.getElementById("translation-bar");
  if (!bar) return;
  const status = document.getElementById("translation-status");
  const progress = document.getElementById("translation-progress");
  const url = `/api/records/${bar.dataset.pmid}/translation?to=${encodeURIComponent(bar.dataset.target)}`;
  const source = new EventSource(url);
  let started = false;
  source.onmessage = (message) => {
    started = true;
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
  source.onerror = async () => {
    source.close();
    if (started) return;
    // The stream was refused (e.g. 429 past the rate limit): EventSource cannot read why, so ask once more and
    // show the answer's message, in the UI language. A stream that would start is not wanted here: abort it.
    const controller = new AbortController();
    try {
      const response = await fetch(url, { signal: controller.signal });
      if (!response.ok) status.textContent = (await response.json()).message;
    } catch (error) { /* offline: leave the status as it is */ }
    controller.abort();
  };
})();
