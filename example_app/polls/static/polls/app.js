// The polls application's script: it highlights the chosen answer of a
// voting form and keeps a vote from being sent twice by a double click.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.vote").forEach(function (form) {
        var choices = form.querySelectorAll('input[name="choice"]');
        choices.forEach(function (input) {
            input.addEventListener("change", function () {
                choices.forEach(function (other) {
                    other.closest(".choice").classList.toggle("selected", other.checked);
                });
            });
        });
        form.addEventListener("submit", function () {
            if (!form.querySelector('input[name="choice"]:checked')) {
                return; // the server answers with what is missing
            }
            var button = form.querySelector('button[type="submit"]');
            if (button) {
                // Disabled after the submission has started, so the form
                // is still sent.
                setTimeout(function () { button.disabled = true; }, 0);
            }
        });
    });
});
