/* Checkout payment: the card's expiry date writes itself as MM/YY while it is typed
   ("1229" -> "12/29", "4" -> "04/", "1/29" -> "01/29"); a four-digit year is kept while typing
   and shortened when the field is left ("12/2029" -> "12/29"). The server accepts all of these
   anyway (bookings/forms.py, PaymentForm.clean_expiry): this only helps, it never decides. */
(function () {
  "use strict";

  function parts(raw) {
    var separated = raw.match(/^\s*(\d{1,2})\s*[/.\- ]\s*(\d*)\s*$/);
    if (separated) {
      return { month: separated[1].length === 1 ? "0" + separated[1] : separated[1], year: separated[2], sep: true };
    }
    var digits = raw.replace(/\D/g, "");
    if (digits.length === 1 && digits > "1") {
      digits = "0" + digits; // "4" can only be April
    } else if (digits.length >= 2 && digits[0] === "1" && digits[1] > "2") {
      digits = "0" + digits; // "13..." is January '3x, not a 13th month
    }
    return { month: digits.slice(0, 2), year: digits.slice(2, 6), sep: false };
  }

  function formatted(raw, deleting) {
    var value = parts(raw);
    if (value.year.length > 4) {
      value.year = value.year.slice(0, 4);
    }
    if (value.year) {
      return value.month + "/" + value.year;
    }
    if (value.month.length === 2 && !deleting) {
      return value.month + "/";
    }
    return value.month + (value.sep && !deleting ? "/" : "");
  }

  function shortened(raw) {
    var value = parts(raw);
    if (value.year.length === 4) {
      return value.month + "/" + value.year.slice(2);
    }
    return raw.trim();
  }

  document.querySelectorAll("input[data-card-expiry]").forEach(function (input) {
    input.addEventListener("input", function (event) {
      var deleting = Boolean(event.inputType) && event.inputType.indexOf("delete") === 0;
      var next = formatted(input.value, deleting);
      if (next !== input.value) {
        input.value = next;
      }
    });
    input.addEventListener("blur", function () {
      var next = shortened(input.value);
      if (next !== input.value) {
        input.value = next;
      }
    });
  });
})();
