// The page: boots the session, routes "#/..." to a screen, and turns the session's events
// (balance, pushes, unfinished hands, forced logout) into what the player sees.

import { $, el, replace, notify, clearErrors } from "./ui.js";
import { ask, inform } from "./dialog.js";
import { catalogue, serverMode } from "./http.js";
import { formatAmount } from "./money.js";
import { sentence } from "./messages.js";
import { helpPanel } from "./help.js";
import { session } from "./session.js";
import { renderLogin } from "./screens/login.js";
import { renderLobby, cashier } from "./screens/lobby.js";
import { renderSlot } from "./screens/slot.js";
import { renderRoulette } from "./screens/roulette.js";
import { renderBlackjack } from "./screens/blackjack.js";
import { renderBaccarat } from "./screens/baccarat.js";
import { renderHistory } from "./screens/history.js";
import { renderRecall } from "./screens/recall.js";
import { renderTransactions } from "./screens/transactions.js";
import { renderFairness } from "./screens/fairness.js";
import { renderKyc } from "./screens/kyc.js";
import { renderAccount } from "./screens/account.js";
import { followEmailLink } from "./screens/recover.js";
import { renderSafer, wireSafer, isSaferPush, endedText } from "./screens/safer.js";
import { renderBonus } from "./screens/bonus.js";
import { renderPayments } from "./screens/cashier.js";

const GAME_SCREENS = {
  "classic-sevens": renderSlot,
  "crown-jewels": renderSlot,
  "european-roulette": renderRoulette,
  blackjack: renderBlackjack,
  "punto-banco": renderBaccarat,
};

const screen = $("#screen");
let games = [];

function renderCashier(container) {
  replace(
    container,
    el(
      "section",
      { class: "panel" },
      el("h1", {}, "Cashier"),
      el("p", { class: "meta" }, "Sandbox deposits credit the real ledger; no money arrives from anywhere."),
      cashier(),
    ),
    renderPayments(),
  );
}

function parseHash() {
  const [path, query] = location.hash.replace(/^#\/?/, "").split("?");
  const [name, ...rest] = path.split("/");
  return {
    name: name || "lobby",
    arg: decodeURIComponent(rest.join("/")),
    params: new URLSearchParams(query || ""),
  };
}

function route() {
  const loggedIn = Boolean(session.player);
  $("#topbar").hidden = !loggedIn;
  replace($("#username"), loggedIn ? session.player.username : "");
  if (!loggedIn) {
    screen.dataset.screen = "login";
    renderLogin(screen, {
      done: () => {
        location.hash = "#/lobby";
        route();
      },
    });
    return;
  }
  const { name, arg, params } = parseHash();
  for (const link of document.querySelectorAll("#topbar nav a")) {
    link.toggleAttribute("aria-current", link.dataset.nav === name);
  }
  const game = games.find((g) => g.id === arg);
  if (name === "game" && game && GAME_SCREENS[game.id]) {
    screen.dataset.screen = `game-${game.id}`;
    GAME_SCREENS[game.id](screen, { game, params });
    screen.querySelector(".game-head")?.after(helpPanel(game)); // rules from the game's definition
  } else if (name === "history") {
    screen.dataset.screen = "history";
    renderHistory(screen, { games });
  } else if (name === "transactions") {
    screen.dataset.screen = "transactions";
    renderTransactions(screen);
  } else if (name === "recall" && arg) {
    screen.dataset.screen = "recall";
    renderRecall(screen, { roundId: arg, games });
  } else if (name === "fair") {
    screen.dataset.screen = "fair";
    renderFairness(screen);
  } else if (name === "kyc") {
    screen.dataset.screen = "kyc";
    renderKyc(screen);
  } else if (name === "account") {
    screen.dataset.screen = "account";
    renderAccount(screen);
  } else if (name === "safer") {
    screen.dataset.screen = "safer";
    renderSafer(screen, { params });
  } else if (name === "bonus") {
    screen.dataset.screen = "bonus";
    renderBonus(screen);
  } else if (name === "cashier") {
    screen.dataset.screen = "cashier";
    renderCashier(screen);
  } else {
    screen.dataset.screen = "lobby";
    renderLobby(screen, { games });
  }
  window.scrollTo(0, 0);
}

function showBalance(minor) {
  const balance = $("#balance");
  balance.dataset.minor = String(minor);
  replace(balance, formatAmount(minor, session.currency));
  balance.classList.remove("flash");
  void balance.offsetWidth; // restart the flash animation
  balance.classList.add("flash");
}

function pushText(message) {
  if (message.type === "balance_changed") {
    return `Balance updated (${String(message.reason).replace(/_/g, " ")}): ${formatAmount(message.balance, message.currency || session.currency)}`;
  }
  if (message.type === "error") return `Server: ${sentence(message.code, message.params, message.message)}`;
  if (message.type === "kyc_changed") return `Verification: ${message.kyc_status}, level ${message.level}`;
  return `Message from the casino: ${String(message.message || message.type).replace(/_/g, " ")}`;
}

// Play money is marked on every screen, for as long as the page is open; a live server's
// page has no marker and no sandbox cashier (its route does not exist there).
function showMode(mode) {
  document.body.dataset.mode = mode;
  $("#mode-marker").hidden = mode !== "sandbox";
}

function wireSession() {
  session.addEventListener("balance", (event) => showBalance(event.detail));
  session.addEventListener("played", clearErrors);
  session.addEventListener("push", (event) => {
    if (!isSaferPush(event.detail)) notify(pushText(event.detail), "info");
  });
  wireSafer();
  session.addEventListener("connection", (event) => {
    $("#connection").hidden = event.detail === "online";
    if (event.detail === "online") notify("Reconnected.", "success");
  });
  session.addEventListener("open-rounds", async (event) => {
    const open = event.detail[0];
    const name = games.find((g) => g.id === open.game)?.name || open.game;
    const choice = await ask({
      name: "open-round",
      title: "You have an unfinished hand",
      text: [
        `Your ${name} hand is still open. Resume it now?`,
        "A hand left alone is completed for you (stand) after a while.",
      ],
      actions: [
        { label: "Resume hand", value: "resume", primary: true },
        { label: "Later", value: "later" },
      ],
    });
    if (choice === "resume" && session.player) {
      location.hash = `#/game/${encodeURIComponent(open.game)}?round=${encodeURIComponent(open.round_id)}`;
    }
  });
  session.addEventListener("ended", async (event) => {
    $("#connection").hidden = true;
    route();
    const reason = endedText(event.detail.reason);
    if (event.detail.forced) await inform("You have been logged out", reason, "forced-logout");
    else notify(reason, "error");
  });
  $("#logout").addEventListener("click", async () => {
    await session.logout();
    location.hash = "";
    route();
  });
}

async function boot() {
  serverMode.addEventListener("mode", (event) => showMode(event.detail));
  wireSession();
  try {
    games = (await catalogue.games()).games;
  } catch (error) {
    notify(`The game list cannot be loaded: ${error.message}`, "error");
  }
  if (session.token) {
    try {
      await session.connect();
    } catch (error) {
      notify(
        error.code === "TOKEN_EXPIRED" ? "Your session has expired: log in again." : error.message,
        "error",
      );
    }
  }
  window.addEventListener("hashchange", route);
  // A link from an email (?verify= or ?reset=) is handled before the usual screens.
  if (!(await followEmailLink(screen, route))) route();
  document.body.dataset.ready = "true";
}

boot();
