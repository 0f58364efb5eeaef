// New claim: fill the invoice choice from the API (and fall back to a plain id field).
// A static file, not inline, because the CSP allows scripts only from our own origin.
(function () {
  var select = document.getElementById("id_invoice_id"), number = document.getElementById("id_invoice_number");
  function syncNumber() { var o = select.options[select.selectedIndex]; number.value = o ? o.dataset.number || "" : ""; }
  if (!select || select.value) { return; }
  fetch(select.dataset.source, {credentials: "same-origin", headers: {"Accept": "application/json"}})
    .then(function (r) { if (!r.ok) { throw r; } return r.json(); })
    .then(function (data) {
      select.innerHTML = "";
      (data.results || []).forEach(function (inv) {
        var o = document.createElement("option"); o.value = inv.id; o.dataset.number = inv.number || "";
        o.textContent = (inv.number || ("#" + inv.id)) + " · " + inv.currency + " " + inv.total; select.appendChild(o);
      });
      if (!select.options.length) { var none = document.createElement("option"); none.value = ""; none.textContent = gettext("No posted invoice for this order"); select.appendChild(none); }
      syncNumber();
    })
    .catch(function () {
      var input = document.createElement("input"); input.type = "number"; input.name = "invoice_id"; input.id = "id_invoice_id"; input.min = 1;
      input.placeholder = gettext("Invoice id"); select.replaceWith(input);
    });
  select.addEventListener("change", syncNumber);
})();
