// Keeps an operator page current. The server says when faults, incidents, pages, maintenance
// or mail have changed (GET /live, server-sent events, see dashboard/live.py); the page then
// fetches itself again and swaps in its new content. An operator in the middle of a form is
// never interrupted: the refresh waits while a field has the focus or holds what they changed
// and have not sent, checked again when the fetched page arrives.
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

  // A field the operator changed and has not sent yet: swapping the page would lose it.
  function changed(field) {
    if (field.type === "checkbox" || field.type === "radio") {
      return field.checked !== field.defaultChecked;
    }
    if (field.tagName === "SELECT") {
      const options = Array.from(field.options);
      if (field.multiple) {
        return options.some((option) => option.selected !== option.defaultSelected);
      }
      // A single select with no option marked selected shows its first one.
      const marked = options.findIndex((option) => option.defaultSelected);
      return field.selectedIndex !== Math.max(marked, 0);
    }
    return field.type !== "hidden" && field.value !== field.defaultValue;
  }

  function busy() {
    const active = document.activeElement;
    const focused = Boolean(
      active && active !== body && active.closest("main") && active.matches("input, textarea, select")
    );
    return focused || Array.from(document.querySelectorAll("main input, main textarea, main select"))
      .some(changed);
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
      if (busy()) {
        owed = true; // they started on a form while the page was fetched: wait for them
        return;
      }
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
