/*
 * Upload forms of documents: a file larger than the portal's limit is refused as soon
 * as it is chosen, with the server's own message (data-too-large), instead of being
 * sent only to be refused. The server enforces the limit anyway
 * (cooperation/uploads.py). Loaded with `defer`; no inline script, so the CSP holds.
 */
(function () {
  "use strict";

  function check(input) {
    var max = parseInt(input.dataset.maxBytes, 10);
    var feedback = input.parentNode.querySelector(".js-upload-too-large");
    if (feedback) {
      feedback.remove();
    }
    input.classList.remove("is-invalid");
    var file = input.files && input.files[0];
    if (!file || !max || file.size <= max) {
      return;
    }
    input.value = "";
    input.classList.add("is-invalid");
    feedback = document.createElement("div");
    feedback.className = "invalid-feedback d-block js-upload-too-large";
    feedback.setAttribute("role", "alert");
    feedback.textContent = input.dataset.tooLarge || "";
    input.insertAdjacentElement("afterend", feedback);
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.matches && input.matches("input[type=file][data-max-bytes]")) {
      check(input);
    }
  });
})();
