// The "Pay" page: copy buttons for the bank details, and the card checkout form that sends itself.
// A static file (no inline script), so the Content-Security-Policy can forbid inline scripts.
(function () {
  "use strict";
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var source = document.getElementById(button.getAttribute("data-copy"));
      if (!source || !navigator.clipboard) { return; }
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        var label = button.textContent;
        button.textContent = button.getAttribute("data-copied");
        setTimeout(function () { button.textContent = label; }, 2000);
      });
    });
  });
  var checkout = document.querySelector("form[data-autosubmit]");
  if (checkout) { checkout.submit(); }
})();
