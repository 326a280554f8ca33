// Keeps an operator page current. The server says when faults, incidents, pages, maintenance
// or mail have changed (GET /live, server-sent events, see dashboard/live.py); the page then
// fetches itself again and swaps in its new content. An operator in the middle of a form is
// never interrupted: the refresh waits until they leave it.
(function () {
  "use strict";
  const body = document.body;
  const indicator = document.getElementById("live");
  if (!window.EventSource || body.dataset.liveMarker === undefined) {
    return;
  }
  let owed = false;
  let fetching = false;

  function show(state) {
    if (indicator) {
      indicator.dataset.state = state;
    }
  }

  function busy() {
    const active = document.activeElement;
    return Boolean(
      active && active !== body && active.closest("main") && active.matches("input, textarea, select")
    );
  }

  async function refresh() {
    if (busy() || fetching) {
      owed = true;
      return;
    }
    owed = false;
    fetching = true;
    try {
      const response = await fetch(location.href, { credentials: "same-origin" });
      if (!response.ok || response.redirected) {
        return; // logged out or gone: leave the page as it is
      }
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      // What the operator opened stays open (a customer on the overview, a fault's history).
      const opened = Array.from(document.querySelectorAll("main details[id]"))
        .filter((details) => details.open).map((details) => details.id);
      for (const selector of ["main", "footer"]) {
        const now = document.querySelector(selector);
        const next = fresh.querySelector(selector);
        if (now && next) {
          now.replaceWith(document.adoptNode(next));
        }
      }
      for (const id of opened) {
        const details = document.getElementById(id);
        if (details) {
          details.open = true;
        }
      }
      body.dataset.liveMarker = fresh.body.dataset.liveMarker || body.dataset.liveMarker;
      document.dispatchEvent(new CustomEvent("live:refreshed"));
    } finally {
      fetching = false;
      if (owed) {
        setTimeout(refresh, 0);
      }
    }
  }

  document.addEventListener("focusout", function () {
    if (owed) {
      setTimeout(refresh, 0);
    }
  });

  const since = encodeURIComponent(body.dataset.liveMarker || "");
  const source = new EventSource("/live?since=" + since);
  source.addEventListener("open", function () { show("on"); });
  source.addEventListener("error", function () { show("off"); });
  source.addEventListener("change", function (event) {
    if (event.data !== body.dataset.liveMarker) {
      body.dataset.liveMarker = event.data;
      refresh();
    }
  });
})();
