// The staff web app's shell: login, the nav (only the pages the session's role may use, as
// the server lists its granted routes), a hash router, logout and session expiry.

import { h } from "./dom.js";
import { api, expired } from "./http.js";
import { showLogin, wireLogin } from "./login.js";
import { PAGES } from "./pages.js";
import * as session from "./session.js";

const ENDED = "Your session has ended. Please log in again.";

// Whether the session's role may call `method path` (a route template, as the server names it).
// Parameters compare by place, not name or converter: {player_id} and {player_id:int} agree.
const shape = (path) => path.replace(/\{[^}]*\}/g, "{}");

export function may(method, path) {
  const held = session.current();
  const wanted = shape(path);
  return Boolean(
    held && held.grants && held.grants.routes.some((r) => r.method === method && shape(r.path) === wanted),
  );
}

function allowed(page) {
  return page.needs.some(([method, path]) => may(method, path));
}

function showNav() {
  const held = session.current();
  document.getElementById("who").textContent = `${held.grants.name} (${held.grants.role})`;
  for (const link of document.querySelectorAll("#nav a")) {
    const page = PAGES[link.dataset.page];
    link.hidden = !page || !allowed(page);
  }
  document.getElementById("topbar").hidden = false;
  document.getElementById("login-page").hidden = true;
}

function firstPage() {
  const name = Object.keys(PAGES).find((key) => allowed(PAGES[key]));
  return name ? `#/${name}` : "#/none";
}

async function route() {
  const held = session.current();
  if (!held || !held.grants) {
    showLogin();
    return;
  }
  if (held.expires_at && held.expires_at <= Date.now()) {
    session.forget();
    showLogin(ENDED);
    return;
  }
  showNav();
  const [name, ...params] = location.hash.replace(/^#\/?/, "").split("/");
  if (!name) {
    location.replace(firstPage());
    return;
  }
  const root = document.getElementById("page");
  root.replaceChildren();
  root.hidden = false;
  for (const link of document.querySelectorAll("#nav a")) {
    link.classList.toggle("current", link.dataset.page === name);
  }
  const page = PAGES[name];
  if (!page || !allowed(page)) {
    root.append(h("h1", { text: "Not available" }), h("p", { text: "Your role cannot use this page." }));
    return;
  }
  try {
    await page.render(root, params.map(decodeURIComponent), { may });
  } catch (error) {
    if (error.status !== 401) root.append(h("p", { class: "error", role: "alert", text: error.message }));
  }
}

async function logout() {
  try {
    await api("POST", "/api/staff/logout");
  } catch (error) {
    // an already ended session: nothing more to end
  }
  session.forget();
  history.replaceState(null, "", location.pathname); // no hashchange: the message stays
  showLogin("You are logged out.");
}

expired.addEventListener("expired", () => {
  session.forget();
  document.getElementById("page").replaceChildren();
  showLogin(ENDED);
});

wireLogin(() => {
  location.hash = "";
  route();
});
document.getElementById("logout").addEventListener("click", logout);
window.addEventListener("hashchange", route);
route();
