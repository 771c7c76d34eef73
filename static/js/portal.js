// The portal's own script, loaded by every page (the Content-Security-Policy runs no inline script).
// Moves keyboard and screen-reader focus to what the page asks about: an error summary or a question.
// Several may be on one page (an error and the swap question): the last one is the latest to answer.
document.addEventListener("DOMContentLoaded", function () {
  var targets = document.querySelectorAll("[data-focus-on-load]");
  if (targets.length) {
    targets[targets.length - 1].focus();
  }
});

// "Take a photo" on the reading form: once a photo is chosen, read it straight away (the same POST as the
// "Read the numbers from the photo" button, which stays for browsers without this script).
document.addEventListener("change", function (event) {
  var input = event.target;
  if (!input.matches || !input.matches("input[data-photo-scan]") || !input.files || !input.files.length) {
    return;
  }
  var button = input.form && input.form.querySelector("button[name=recognize]");
  if (button) {
    input.form.classList.add("is-reading-photo");
    if (input.form.requestSubmit) {
      input.form.requestSubmit(button);
    } else {
      button.click();
    }
  }
});
