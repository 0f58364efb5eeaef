/* The planning board: drag a job card onto a day of its work center (or back to the
 * unscheduled list). Every drop is sent to the API; the server checks the job's version and
 * the day's capacity, saves or refuses, and the board is then reloaded from the server so
 * what you see is what was saved. SortableJS is served locally (vendor/). The script may run
 * again after an htmx-boosted page swap, so it wires each board once. */
(function () {
  "use strict";

  function showMessage(text, kind) {
    var box = document.getElementById("board-message");
    if (!box) return;
    box.textContent = text;
    box.className = "board-message msg-" + kind;
    box.hidden = false;
  }

  function errorText(status, data) {
    if (!data) return interpolate(gettext("The server could not save this (HTTP %s)."), [status]);
    var text = data.detail || "";
    if (!text) {
      // a plain validation error: say which fields are wrong
      Object.keys(data).forEach(function (key) {
        if (key !== "code" && Array.isArray(data[key])) text += (text ? " " : "") + key + ": " + data[key].join(" ");
      });
    }
    if (status === 409 && data.code === "job_changed") text += " " + gettext("(The board has been reloaded.)");
    return text || interpolate(gettext("Refused (HTTP %s)."), [status]);
  }

  function refresh(board) {
    return fetch(window.location.href, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("board");
        if (fresh) {
          board.replaceWith(fresh);
          if (window.htmx) window.htmx.process(fresh);
          init(fresh);
        }
      });
  }

  function init(board) {
    if (!board || board.dataset.ready) return;
    board.dataset.ready = "1";
    if (board.dataset.editable !== "true" || typeof Sortable === "undefined") return;
    var csrf = board.dataset.csrf;
    var busy = false;

    function send(card, url, body) {
      busy = true;
      board.classList.add("saving");
      return fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
        body: JSON.stringify(body),
      })
        .then(function (response) {
          return response.json().catch(function () { return null; }).then(function (data) {
            return { ok: response.ok, status: response.status, data: data };
          });
        })
        .then(function (result) {
          if (result.ok) {
            var job = result.data;
            var text;
            if (job.state === "unscheduled") {
              text = interpolate(gettext("Saved: %(order)s op %(op)s is back in the unscheduled list."), { order: job.order_number, op: job.sequence }, true);
            } else {
              text = interpolate(
                gettext("Saved: %(order)s op %(op)s on %(center)s from %(start)s to %(finish)s."),
                { order: job.order_number, op: job.sequence, center: job.work_center_code, start: job.scheduled_day, finish: job.finish_day },
                true
              );
            }
            if (job.late) text += " " + interpolate(gettext("It finishes after the promised date %s (flagged)."), [job.promised_date]);
            showMessage(text, job.late ? "info" : "success");
          } else {
            showMessage(errorText(result.status, result.data), "error");
          }
        })
        .catch(function () { showMessage(gettext("The server could not be reached; nothing was saved."), "error"); })
        .then(function () { return refresh(board); })
        .finally(function () { busy = false; });
    }

    function onEnd(event) {
      var card = event.item;
      if (event.from === event.to && event.oldIndex === event.newIndex) return;
      var id = card.dataset.job;
      var version = parseInt(card.dataset.version, 10);
      if (event.to.hasAttribute("data-unscheduled")) {
        if (event.from.hasAttribute("data-unscheduled")) return refresh(board); // the list keeps its own order
        send(card, board.dataset.unscheduleUrl.replace("/0/", "/" + id + "/"), { version: version });
      } else {
        // position among the cards that start in the cell (a card running in from an earlier day is not one)
        send(card, board.dataset.moveUrl.replace("/0/", "/" + id + "/"), {
          day: event.to.dataset.day,
          position: event.newIndex,
          version: version,
        });
      }
    }

    var options = {
      group: {
        name: "jobs",
        pull: true,
        // a job is made on its routing's work center: only that row (or the list) takes it
        put: function (to, from, dragged) {
          return !busy && (to.el.hasAttribute("data-unscheduled") || to.el.dataset.wc === dragged.dataset.wc);
        },
      },
      draggable: ".job[data-movable]",
      animation: 120,
      emptyInsertThreshold: 24,
      ghostClass: "job-ghost",
      onEnd: onEnd,
    };
    board.querySelectorAll("[data-drop], [data-unscheduled]").forEach(function (zone) {
      Sortable.create(zone, options);
    });
  }

  function initAll() {
    init(document.getElementById("board"));
  }

  initAll();
  document.addEventListener("DOMContentLoaded", initAll);
  document.addEventListener("htmx:load", initAll);
})();
