/* The console's one script: a warning before the idle timeout signs a person out.
   The page says how long a session lasts without activity (data-idle-seconds); two
   minutes before that, a notice offers to stay signed in, which asks the server for the
   page's headers (HEAD), and so renews the session without leaving what is typed. */
(function () {
  "use strict";
  var body = document.body;
  var idle = parseInt(body.getAttribute("data-idle-seconds") || "0", 10);
  var notice = document.getElementById("idle-warning");
  if (!idle || !notice) return;
  var lead = Math.min(120, Math.floor(idle / 2));
  var timer = null;

  // role=alert only while shown: a hidden notice that kept the role would be a second
  // live region on every page, the one a screen reader (or a test) finds first.
  function warn() {
    notice.setAttribute("role", "alert");
    notice.hidden = false;
  }

  function arm() {
    if (timer) window.clearTimeout(timer);
    notice.hidden = true;
    notice.removeAttribute("role");
    timer = window.setTimeout(warn, (idle - lead) * 1000);
  }

  var stay = document.getElementById("idle-stay");
  if (stay) {
    stay.addEventListener("click", function () {
      window.fetch(window.location.href, { method: "HEAD", credentials: "same-origin" })
        .then(arm, arm);
    });
  }
  arm();
})();

/* Several of a list (a rule's oblasts, its contacts): the page sends checkboxes, which
   work alone. Here they gain a search box that narrows the list as one types, and the
   chosen ones shown as chips above it, each with a button that takes it out, so that
   what is chosen is in sight however long the list. The checkboxes stay what is sent. */
(function () {
  "use strict";
  function enhance(box) {
    var chips = box.querySelector(".chips");
    var finder = box.querySelector(".pick-search");
    var search = finder.querySelector("input");
    var options = box.querySelector(".pick-options");
    var checks = Array.prototype.slice.call(options.querySelectorAll("input[type=checkbox]"));
    var remove = box.getAttribute("data-remove");

    function labelOf(check) {
      return box.querySelector("label[for='" + check.id + "']").textContent;
    }

    function draw() {
      chips.textContent = "";
      checks.forEach(function (check) {
        if (!check.checked) return;
        var chip = document.createElement("li");
        var text = document.createElement("span");
        text.textContent = labelOf(check);
        var button = document.createElement("button");
        button.type = "button";
        button.className = "quiet";
        button.textContent = "\u00d7";
        button.setAttribute("aria-label", remove + ": " + labelOf(check));
        button.addEventListener("click", function () {
          check.checked = false;
          draw();
          search.focus();
        });
        chip.appendChild(text);
        chip.appendChild(button);
        chips.appendChild(chip);
      });
      chips.hidden = !chips.firstChild;
    }

    function narrow() {
      var typed = search.value.trim().toLocaleLowerCase();
      checks.forEach(function (check) {
        var shown = !typed || labelOf(check).toLocaleLowerCase().indexOf(typed) !== -1;
        check.parentNode.hidden = !shown;
      });
    }

    checks.forEach(function (check) { check.addEventListener("change", draw); });
    search.addEventListener("input", narrow);
    // Enter in the search box chooses the one option left, rather than sending the form.
    search.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") return;
      event.preventDefault();
      var left = checks.filter(function (check) { return !check.parentNode.hidden; });
      if (left.length === 1) {
        left[0].checked = true;
        search.value = "";
        narrow();
        draw();
      }
    });
    finder.hidden = false;
    box.classList.add("enhanced");
    draw();
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-pick]"), enhance);
})();
