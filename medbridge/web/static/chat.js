// Streams the verified short answer of a conversation (one server-sent event per checked sentence).
(function () {
  const section = document.getElementById("answer");
  if (!section) return;
  const button = document.getElementById("answer-button");
  const out = document.getElementById("answer-text");
  button.addEventListener("click", () => {
    button.disabled = true;
    out.textContent = "";
    const source = new EventSource(`/api/conversations/${section.dataset.conversation}/answer`);
    source.onmessage = (message) => {
      const event = JSON.parse(message.data);
      if (event.type === "sentence") {
        const p = document.createElement("p");
        p.textContent = event.text + " ";
        event.citations.forEach((pmid) => {
          const a = document.createElement("a");
          a.href = `/records/${pmid}`;
          a.textContent = `[${pmid}]`;
          p.appendChild(a);
        });
        out.appendChild(p);
      } else if (event.type === "done" || event.type === "error" || event.type === "unavailable") {
        if (event.message) out.appendChild(document.createTextNode(event.message));
        source.close();
        button.disabled = false;
      }
    };
    source.onerror = () => { source.close(); button.disabled = false; };
  });
})();
