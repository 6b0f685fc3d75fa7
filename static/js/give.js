// The donation form, enhanced: the running total of the chosen gift, one name input per
// share, "Every month" only for gifts that can repeat, quantity only for listed gifts.
// The form works without this file; the server checks everything again.
(function () {
  "use strict";

  var form = document.querySelector("form.give-form");
  if (!form) {
    return;
  }

  var quantity = form.querySelector("#quantity");
  var quantityField = form.querySelector(".quantity-field");
  var total = form.querySelector(".give-total");
  var amount = form.querySelector("#amount");
  var customChoice = form.querySelector("#option-amount");
  var monthly = form.querySelector("#frequency-monthly");
  var once = form.querySelector("#frequency-once");
  var names = form.querySelector(".on-behalf");
  var nameList = names && names.querySelector(".on-behalf-names");
  // One name per share, and a gift has at most this many shares (the server's limit).
  var maxNames = names ? Number(names.dataset.maxNames) : 0;

  var money = new Intl.NumberFormat(document.documentElement.lang || "en", {
    style: "currency",
    currency: form.dataset.currency,
    currencyDisplay: "narrowSymbol",
  });

  function chosen() {
    return form.querySelector("input[name=option]:checked");
  }

  function shares() {
    var text = quantity ? quantity.value.trim() : "1";
    return /^[0-9]+$/.test(text) ? Number(text) : 0;
  }

  function showTotal(option, count) {
    if (!total) {
      return;
    }
    var price = option ? Number(option.dataset.unitPrice) : NaN;
    if (!price || count < 1) {
      total.hidden = true;
      total.textContent = "";
      return;
    }
    var scale = Math.pow(10, Number(form.dataset.exponent));
    total.textContent = form.dataset.totalLabel.replace(
      "%(amount)s",
      money.format((price * count) / scale)
    );
    total.hidden = false;
  }

  // One input per share, added or hidden as the quantity changes. Hidden inputs are
  // disabled so that a name typed before lowering the quantity is not sent.
  function showNames(option, count) {
    if (!names) {
      return;
    }
    var needed = option && "needsNames" in option.dataset;
    names.hidden = !needed;
    var wanted = Math.min(Math.max(count, 1), maxNames);
    var items = nameList.children;
    while (needed && items.length < wanted) {
      var item = items[0].cloneNode(true);
      var n = items.length + 1;
      var input = item.querySelector("input");
      var label = item.querySelector("label");
      input.id = "on-behalf-" + n;
      input.value = "";
      label.htmlFor = input.id;
      label.textContent = names.dataset.nameLabel.replace("%(n)s", String(n));
      nameList.appendChild(item);
    }
    Array.prototype.forEach.call(items, function (item, index) {
      var shown = needed && index < wanted;
      item.hidden = !shown;
      item.querySelector("input").disabled = !shown;
    });
  }

  function showFrequency(option) {
    var onceOnly = option && "onceOnly" in option.dataset;
    monthly.disabled = Boolean(onceOnly);
    if (onceOnly && monthly.checked) {
      once.checked = true;
    }
  }

  function update() {
    var option = chosen();
    var listed = option && option !== customChoice;
    var count = listed ? shares() : 0;
    if (quantityField) {
      quantityField.hidden = !listed;
    }
    showTotal(listed ? option : null, count);
    showNames(listed ? option : null, count);
    showFrequency(listed ? option : null);
  }

  // Typing an amount means giving that amount.
  if (amount && customChoice) {
    amount.addEventListener("input", function () {
      customChoice.checked = true;
      update();
    });
  }
  form.addEventListener("change", update);
  if (quantity) {
    quantity.addEventListener("input", update);
  }
  update();
})();
