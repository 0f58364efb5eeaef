/* The forecast grid: spreadsheet keys, block paste, and saving changed cells as you go.
 * Vanilla JS, no dependencies. Each <table data-forecast-grid> is wired once; the script may
 * run again after an htmx-boosted page swap, so everything hangs off the table itself. */
(function () {
  "use strict";

  var SAVE_DELAY_MS = 400;
  var HISTORY_DELAY_MS = 300;

  function init(table) {
    if (table.dataset.ready) return;
    table.dataset.ready = "1";
    var editable = table.dataset.editable === "true";
    var body = table.tBodies[0];
    var root = table.closest("main") || document;
    var statusEl = root.querySelector("[data-grid-status]");
    var errorsEl = root.querySelector("[data-grid-errors]");
    var historyEl = root.querySelector("[data-grid-history]");
    var saveButton = root.querySelector("[data-grid-save]");
    var pending = new Map(); // key -> input waiting to be sent
    var errors = new Map(); // key -> message
    var saveTimer = null;
    var historyTimer = null;
    var inFlight = false;

    function keyOf(input) {
      return input.closest("tr").dataset.product + "|" + input.dataset.month;
    }
    function cellsOf(row) {
      return row ? row.querySelectorAll("input.cell") : [];
    }
    function positionOf(input) {
      var row = input.closest("tr");
      return [row.sectionRowIndex, Array.prototype.indexOf.call(cellsOf(row), input)];
    }
    function cellAt(r, c) {
      return cellsOf(body.rows[r])[c] || null;
    }
    function focusCell(r, c) {
      var input = cellAt(r, c);
      if (input) {
        input.focus();
        input.select();
      }
      return input;
    }
    function move(input, dr, dc) {
      var pos = positionOf(input);
      focusCell(pos[0] + dr, pos[1] + dc);
    }
    function setStatus(text, bad) {
      if (!statusEl) return;
      statusEl.textContent = text;
      statusEl.classList.toggle("bad", !!bad);
    }
    function label(input) {
      return input.closest("tr").dataset.sku + " " + input.dataset.month;
    }

    function renderErrors() {
      if (!errorsEl) return;
      errorsEl.textContent = "";
      errors.forEach(function (message, key) {
        var input = inputFor(key);
        var li = document.createElement("li");
        li.textContent = (input ? label(input) : key) + ": " + message;
        li.addEventListener("click", function () {
          if (input) {
            input.focus();
            input.select();
          }
        });
        errorsEl.appendChild(li);
      });
    }
    function inputFor(key) {
      var parts = key.split("|");
      var row = body.querySelector('tr[data-product="' + parts[0] + '"]');
      return row ? row.querySelector('input.cell[data-month="' + parts[1] + '"]') : null;
    }
    function markError(input, message) {
      input.classList.add("error");
      input.classList.remove("saving", "saved");
      input.title = message;
      input.setAttribute("aria-invalid", "true");
      errors.set(keyOf(input), message);
    }
    function clearError(input) {
      input.classList.remove("error");
      input.removeAttribute("title");
      input.removeAttribute("aria-invalid");
      errors.delete(keyOf(input));
    }

    // A cell whose text differs from what the server holds is queued for saving.
    function commit(input) {
      if (!editable || input.readOnly) return;
      var value = input.value.trim();
      var key = keyOf(input);
      if (value === input.dataset.saved) {
        input.classList.remove("dirty");
        if (pending.delete(key)) clearError(input);
        if (errors.has(key)) clearError(input);
        renderErrors();
        refreshButton();
        return;
      }
      input.classList.add("dirty");
      pending.set(key, input);
      scheduleSave();
    }
    function refreshButton() {
      if (saveButton) saveButton.hidden = pending.size === 0 && errors.size === 0;
    }
    function scheduleSave() {
      refreshButton();
      clearTimeout(saveTimer);
      saveTimer = setTimeout(save, SAVE_DELAY_MS);
    }

    function save() {
      if (inFlight || pending.size === 0) return;
      var batch = Array.from(pending.values());
      lastBatch = batch;
      pending.clear();
      var sent = batch.map(function (input) {
        input.classList.add("saving");
        return {
          product: input.closest("tr").dataset.product,
          month: input.dataset.month,
          quantity: input.value.trim(),
        };
      });
      inFlight = true;
      setStatus(interpolate(ngettext("Saving %s cell…", "Saving %s cells…", sent.length), [sent.length]));
      fetch(table.dataset.saveUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": table.dataset.csrf },
        body: JSON.stringify({ cells: sent }),
      })
        .then(function (response) {
          return response.json().then(
            function (data) {
              return { ok: response.ok, data: data };
            },
            function () {
              return { ok: false, data: { detail: interpolate(gettext("The server answered %s."), [response.status]) } };
            }
          );
        })
        .then(function (result) {
          var data = result.data || {};
          (data.saved || []).forEach(function (cell) {
            var input = inputFor(cell.product + "|" + cell.month);
            if (!input) return;
            var still = sent.some(function (s) {
              return s.product === String(cell.product) && s.month === cell.month && s.quantity === input.value.trim();
            });
            input.dataset.saved = cell.quantity;
            input.classList.remove("saving");
            clearError(input);
            if (still) {
              // Show the figure as the server stored it (1,200 -> 1200) unless typed over since.
              if (document.activeElement !== input) input.value = cell.quantity;
              input.classList.remove("dirty");
              input.classList.add("saved");
              setTimeout(function () {
                input.classList.remove("saved");
              }, 1500);
            }
          });
          (data.errors || []).forEach(function (cell) {
            var input = inputFor(cell.product + "|" + cell.month);
            if (input) markError(input, cell.message);
          });
          if (!result.ok && !(data.errors || []).length) {
            batch.forEach(function (input) {
              markError(input, interpolate(gettext("Not saved: %s"), [data.detail || gettext("try again.")]));
            });
          }
          finish();
        })
        .catch(function () {
          batch.forEach(function (input) {
            markError(input, gettext("Not saved: the server could not be reached."));
          });
          finish();
        });
    }

    var lastBatch = [];
    function batchContains(input) {
      return lastBatch.indexOf(input) !== -1;
    }

    function finish() {
      inFlight = false;
      body.querySelectorAll("input.cell.saving").forEach(function (input) {
        input.classList.remove("saving");
      });
      renderErrors();
      refreshButton();
      if (pending.size) {
        save();
        return;
      }
      var active = document.activeElement;
      if (active && active.matches && active.matches("input.cell") && batchContains(active)) showHistory(active);
      if (errors.size) {
        setStatus(interpolate(ngettext("%s cell not saved — see below.", "%s cells not saved — see below.", errors.size), [errors.size]), true);
      } else {
        setStatus(interpolate(gettext("All changes saved %s."), [new Date().toLocaleTimeString()]));
      }
    }

    function showHistory(input) {
      if (!historyEl) return;
      clearTimeout(historyTimer);
      historyTimer = setTimeout(function () {
        var url =
          table.dataset.historyUrl +
          "?fragment=1&product=" +
          encodeURIComponent(input.closest("tr").dataset.product) +
          "&month=" +
          encodeURIComponent(input.dataset.month);
        fetch(url, { credentials: "same-origin" })
          .then(function (response) {
            return response.ok ? response.text() : "";
          })
          .then(function (html) {
            if (html && document.activeElement === input) historyEl.innerHTML = html;
          })
          .catch(function () {});
      }, HISTORY_DELAY_MS);
    }

    function caretAtStart(input) {
      return input.selectionStart === 0 && input.selectionEnd === 0;
    }
    function caretAtEnd(input) {
      var end = input.value.length;
      return input.selectionStart === end && input.selectionEnd === end;
    }
    function allSelected(input) {
      return input.selectionStart === 0 && input.selectionEnd === input.value.length;
    }

    table.addEventListener("keydown", function (event) {
      var input = event.target;
      if (!input.matches || !input.matches("input.cell")) return;
      if (event.altKey || event.metaKey || event.ctrlKey) {
        if ((event.ctrlKey || event.metaKey) && event.key === "s") {
          event.preventDefault();
          commit(input);
          clearTimeout(saveTimer);
          save();
        }
        return;
      }
      switch (event.key) {
        case "ArrowUp":
          event.preventDefault();
          commit(input);
          move(input, -1, 0);
          break;
        case "ArrowDown":
          event.preventDefault();
          commit(input);
          move(input, 1, 0);
          break;
        case "ArrowLeft":
          // Inside a value being edited the arrow moves the caret; at its edge it moves cells.
          if (caretAtStart(input) || allSelected(input)) {
            event.preventDefault();
            commit(input);
            move(input, 0, -1);
          }
          break;
        case "ArrowRight":
          if (caretAtEnd(input) || allSelected(input)) {
            event.preventDefault();
            commit(input);
            move(input, 0, 1);
          }
          break;
        case "Enter":
          event.preventDefault();
          commit(input);
          move(input, event.shiftKey ? -1 : 1, 0);
          break;
        case "Tab":
          commit(input); // the browser moves focus along the row, then to the next row
          break;
        case "Escape":
          event.preventDefault();
          input.value = input.dataset.saved;
          input.classList.remove("dirty");
          pending.delete(keyOf(input));
          clearError(input);
          renderErrors();
          refreshButton();
          input.select();
          break;
        default:
          break;
      }
    });

    table.addEventListener("focusin", function (event) {
      if (event.target.matches("input.cell")) {
        event.target.select();
        showHistory(event.target);
      }
    });
    table.addEventListener("change", function (event) {
      if (event.target.matches("input.cell")) commit(event.target);
    });

    // A block copied from a spreadsheet (tabs between cells, new lines between rows) fills the
    // grid from the focused cell; what falls outside the page is ignored and reported.
    table.addEventListener("paste", function (event) {
      var start = event.target;
      if (!start.matches("input.cell") || !editable) return;
      var text = (event.clipboardData || window.clipboardData).getData("text/plain") || "";
      text = text.replace(/\r\n?/g, "\n").replace(/\n$/, "");
      if (text.indexOf("\t") === -1 && text.indexOf("\n") === -1) return; // one value: a normal paste
      event.preventDefault();
      var origin = positionOf(start);
      var lines = text.split("\n");
      var filled = 0;
      var skipped = 0;
      lines.forEach(function (line, i) {
        line.split("\t").forEach(function (value, j) {
          var input = cellAt(origin[0] + i, origin[1] + j);
          if (!input) {
            skipped += 1;
            return;
          }
          input.value = value.trim();
          commit(input);
          filled += 1;
        });
      });
      start.select();
      var width = Math.max.apply(
        null,
        lines.map(function (line) {
          return line.split("\t").length;
        })
      );
      setStatus(
        interpolate(gettext("Pasted %(rows)s×%(columns)s (%(cells)s cells)."), { rows: lines.length, columns: width, cells: filled }, true) +
          (skipped ? " " + interpolate(gettext("%s off the grid ignored."), [skipped]) : "")
      );
    });

    if (saveButton) {
      saveButton.addEventListener("click", function () {
        body.querySelectorAll("input.cell.error").forEach(function (input) {
          if (input.value.trim() !== input.dataset.saved) pending.set(keyOf(input), input);
        });
        save();
      });
    }

    window.addEventListener("beforeunload", function (event) {
      if (table.isConnected && (pending.size || inFlight)) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
  }

  function initAll() {
    document.querySelectorAll("table[data-forecast-grid]").forEach(init);
  }

  initAll();
  document.addEventListener("DOMContentLoaded", initAll);
  document.addEventListener("htmx:load", initAll);
})();
