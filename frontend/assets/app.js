"use strict";
// Quick exit (after GOV.UK's "Exit this page"): blank at once, end the session in the
// background, replace this page in history so Back does not return, forget cached data.
(function () {
  var form = document.querySelector(".quick-exit");
  if (!form) return;
  var target = form.getAttribute("data-exit-url") || "about:blank";
  var gone = false;
  function blank() {
    document.title = "";
    document.documentElement.style.background = "#fff";
    if (document.body) document.body.innerHTML = "";
  }
  function exit(event) {
    if (event) event.preventDefault();
    if (gone) return;
    gone = true;
    blank();
    // The page is blank already; leave once the server has ended the session (so Back
    // finds nothing), or after a second and a half on a bad network, whichever is first.
    var left = false;
    var leave = function () { if (!left) { left = true; window.location.replace(target); } };
    setTimeout(leave, 1500);
    try {
      fetch("/exit", { method: "POST", credentials: "same-origin", keepalive: true, redirect: "manual" })
        .then(leave, leave);
    } catch (e) { leave(); }
  }
  form.addEventListener("submit", exit);
  // Shift three times within two seconds; announced to screen readers as it counts.
  var presses = 0, timer = null;
  var status = document.getElementById("exit-status");
  document.addEventListener("keyup", function (event) {
    if (event.key !== "Shift") { presses = 0; return; }
    presses += 1;
    clearTimeout(timer);
    timer = setTimeout(function () { presses = 0; if (status) status.textContent = ""; }, 2000);
    if (status && presses < 3) status.textContent = status.getAttribute(presses === 1 ? "data-two" : "data-one");
    if (presses >= 3) exit();
  });
  // A page brought back from the back-forward cache is blanked, then asked for again:
  // after a quick exit or a sign-out the server answers with the sign-in page instead.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { blank(); window.location.reload(); }
  });
})();
