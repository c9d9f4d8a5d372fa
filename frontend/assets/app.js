"use strict";
// Quick exit: replace this page with an ordinary one and leave nothing to go back to.
function quickExit() {
  document.body.innerHTML = "";
  fetch("/api/auth/logout", { method: "POST", credentials: "same-origin", keepalive: true }).catch(() => {});
  window.location.replace("https://www.wikipedia.org/");
}
document.getElementById("quick-exit").addEventListener("click", quickExit);
let lastEscape = 0;
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  const now = Date.now();
  if (now - lastEscape < 600) quickExit();
  lastEscape = now;
});

async function showMe() {
  const response = await fetch("/api/me", { credentials: "same-origin" });
  if (!response.ok) return false;
  const me = await response.json();
  document.title = me.community_name;
  document.getElementById("me-pseudonym").textContent = me.pseudonym;
  document.getElementById("me-roles").textContent =
    me.roles.map((grant) => grant.role).join(", ") || "newcomer";
  document.getElementById("signin").hidden = true;
  document.getElementById("me").hidden = false;
  return true;
}

document.getElementById("signin-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const response = await fetch("/api/auth/login", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ pseudonym: form.get("pseudonym"), password: form.get("password") }),
  });
  if (response.ok) {
    await showMe();
  } else {
    const body = await response.json();
    document.getElementById("signin-error").textContent = body.error.message;
  }
});

document.getElementById("signout").addEventListener("click", async () => {
  await fetch("/api/auth/logout", { method: "POST", credentials: "same-origin" });
  window.location.replace("/");
});

showMe();
