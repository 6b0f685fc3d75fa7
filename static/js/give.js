// The donation form, enhanced: the running total of the chosen gift, one name input per
// share, "Every month" only for gifts that can repeat, "How many?" under the chosen
// option, suggested amounts that fill the amount, only the designations that apply to
// the gift, step 2 shown once Give is pressed, and "Ways to give" links that choose
// their option, and the fee cover with what the donor pays. The form works without this file; the server checks everything again.
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
  var amountChoices = form.querySelector(".amount-choices");
  var presets = form.querySelectorAll("input[name=preset]");
  var details = form.querySelector(".give-details");
  var next = form.querySelector(".give-next a");
  var monthly = form.querySelector("#frequency-monthly");
  var once = form.querySelector("#frequency-once");
  var names = form.querySelector(".on-behalf");
  var nameList = names && names.querySelector(".on-behalf-names");
  var cover = form.querySelector(".cover-field");
  var coverBox = cover && cover.querySelector("#cover_fees");
  var coverTotal = cover && cover.querySelector(".cover-total");
  var exponent = Number(form.dataset.exponent);
  // One name per share, and a gift has at most this many shares (the server's limit).
  var maxNames = names ? Number(names.dataset.maxNames) : 0;

  var money = new Intl.NumberFormat(document.documentElement.lang || "en", {
    style: "currency",
    currency: form.dataset.currency,
    currencyDisplay: "narrowSymbol",
  });

  // On a right-to-left page an amount is one right-to-left unit in which the number and
  // the symbol are each isolated, as campaigns/money.py writes it: bare, a Latin symbol
  // after the number breaks apart ("$US 42,900").
  var rtl = document.documentElement.dir === "rtl";
  var NUMBER = ["integer", "group", "decimal", "fraction", "minusSign", "plusSign"];

  function amountText(value) {
    if (!rtl) {
      return money.format(value);
    }
    var out = "";
    var digits = "";
    money.formatToParts(value).forEach(function (part) {
      if (NUMBER.indexOf(part.type) >= 0) {
        digits += part.value;
        return;
      }
      if (digits) {
        out += "\u2066" + digits + "\u2069";
        digits = "";
      }
      var text = part.value.replace(/[\u200e\u200f\u061c]/g, "");
      out += part.type === "currency" ? "\u2068" + text + "\u2069" : text;
    });
    if (digits) {
      out += "\u2066" + digits + "\u2069";
    }
    return "\u2067" + out + "\u2069";
  }

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
      amountText((price * count) / scale)
    );
    total.hidden = false;
  }

  // The amount typed, in minor units (whole numbers, as the server reads it), or 0.
  function typedMinor() {
    if (!amount) {
      return 0;
    }
    var mark = form.dataset.decimal || ".";
    var text = amount.value.trim();
    var parts = text.split(mark);
    if (parts.length > 2) {
      return 0;
    }
    var whole = parts[0].replace(/[\s.,'\u00a0\u202f\u066c]/g, "");
    var fraction = parts.length === 2 ? parts[1].trim() : "";
    if (!/^[0-9]+$/.test(whole) || !/^[0-9]*$/.test(fraction) || fraction.length > exponent) {
      return 0;
    }
    while (fraction.length < exponent) {
      fraction += "0";
    }
    return Number(whole + fraction);
  }

  // The fee cover, as the server computes it: the percentage of one unit (an amount, or
  // one share) rounded half up to the minor unit, times the number of units.
  function showCover(unitMinor, count) {
    if (!cover) {
      return;
    }
    var points = Number(cover.dataset.basisPoints);
    if (!coverBox.checked || !unitMinor || count < 1) {
      coverTotal.hidden = true;
      coverTotal.textContent = "";
      return;
    }
    var scale = Math.pow(10, exponent);
    var shown = function (minor) {
      return amountText(minor / scale);
    };
    var unitCover = Math.floor((unitMinor * points + 5000) / 10000);
    var gift = unitMinor * count;
    var extra = unitCover * count;
    coverTotal.textContent = cover.dataset.coverLabel
      .replace("%(total)s", shown(gift + extra))
      .replace("%(gift)s", shown(gift))
      .replace("%(cover)s", shown(extra));
    coverTotal.hidden = false;
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

  // A designation is offered only for the gifts it applies to (data-gifts: option ids,
  // "amount" for an amount of one's own).
  function showDesignations(option) {
    var gift = option && option !== customChoice ? option.value : "amount";
    var radios = form.querySelectorAll("input[name=designation][data-gifts]");
    var first = null;
    var keep = false;
    Array.prototype.forEach.call(radios, function (radio) {
      var applies = radio.dataset.gifts.split(" ").indexOf(gift) !== -1;
      radio.disabled = !applies;
      radio.parentNode.hidden = !applies;
      if (applies && !first) {
        first = radio;
      }
      keep = keep || (applies && radio.checked);
    });
    if (first && !keep) {
      first.checked = true;
    }
  }

  function update() {
    var option = chosen();
    var listed = option && option !== customChoice;
    var count = listed ? shares() : 0;
    if (quantityField) {
      quantityField.hidden = !listed;
      if (listed && quantityField.parentNode !== option.parentNode) {
        option.parentNode.appendChild(quantityField);
      }
    }
    if (amountChoices && customChoice) {
      amountChoices.hidden = listed;
    }
    showTotal(listed ? option : null, count);
    showCover(listed ? Number(option.dataset.unitPrice) : typedMinor(), listed ? count : 1);
    showNames(listed ? option : null, count);
    showFrequency(listed ? option : null);
    showDesignations(option);
  }

  // Typing an amount means giving that amount, not a suggested one.
  if (amount) {
    amount.addEventListener("input", function () {
      if (customChoice) {
        customChoice.checked = true;
      }
      Array.prototype.forEach.call(presets, function (preset) {
        preset.checked = false;
      });
      update();
    });
  }
  // A suggested amount fills the amount box.
  Array.prototype.forEach.call(presets, function (preset) {
    preset.addEventListener("change", function () {
      amount.value = preset.dataset.amount;
      if (customChoice) {
        customChoice.checked = true;
      }
      update();
    });
  });

  // Step 2 (who gives) waits for the Give button, unless the form came back with errors.
  if (details && next && !form.querySelector(".error-summary")) {
    details.hidden = true;
    next.addEventListener("click", function (event) {
      event.preventDefault();
      details.hidden = false;
      next.parentNode.hidden = true;
      // The first field the donor can see (the names of a share, or their own name).
      var fields = details.querySelectorAll("input:not([type=hidden]):not([disabled])");
      var field = Array.prototype.find.call(fields, function (input) {
        return input.offsetParent !== null;
      });
      if (field) {
        field.focus();
      }
    });
  } else if (next) {
    next.parentNode.hidden = true;
  }

  // "Ways to give": a link chooses its option here instead of loading the page again.
  Array.prototype.forEach.call(document.querySelectorAll("a[data-option]"), function (link) {
    link.addEventListener("click", function (event) {
      var radio = form.querySelector("#option-" + link.dataset.option);
      if (!radio || radio.disabled) {
        return;
      }
      event.preventDefault();
      radio.checked = true;
      update();
      radio.scrollIntoView({ block: "center" });
      radio.focus();
    });
  });
  form.addEventListener("change", update);
  if (quantity) {
    quantity.addEventListener("input", update);
  }
  update();
})();
