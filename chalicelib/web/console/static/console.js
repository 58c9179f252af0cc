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
