// The portal's own script, loaded by every page (the Content-Security-Policy runs no inline script).
// Moves keyboard and screen-reader focus to what the page asks about: an error summary or a question.
// Several may be on one page (an error and the swap question): the last one is the latest to answer.
document.addEventListener("DOMContentLoaded", function () {
  var targets = document.querySelectorAll("[data-focus-on-load]");
  if (targets.length) {
    targets[targets.length - 1].focus();
  }
});
