// The player's bonuses: bonus money shown apart from cash, the active bonus with its wagering
// progress (wagered / required), maximum stake, expiry and free spins, leaving it (forfeiture,
// confirmed first), the offers to opt into (never automatic), a promo code, loyalty points.
// The wagering progress follows the server's `bonus_progress` pushes live, one per counted stake.

import { el, replace, notify, busy, timeText } from "../ui.js";
import { ask } from "../dialog.js";
import { api } from "../http.js";
import { formatAmount } from "../money.js";
import { session } from "../session.js";

const call = (method, path, body) => api(method, path, { token: session.token, body });

function progress(active, currency) {
  const done = Math.min(active.wagered, active.required);
  const percent = active.required ? Math.floor((done * 100) / active.required) : 100;
  return el(
    "div",
    { class: "bonus-progress" },
    el("progress", { max: String(active.required || 1), value: String(done), "aria-label": "wagering" }),
    el(
      "p",
      { class: "wagering", dataset: { wagered: String(active.wagered), required: String(active.required) } },
      `Wagered ${formatAmount(active.wagered, currency)} of ${formatAmount(active.required, currency)} (${percent} %)`,
    ),
  );
}

function activePanel(page, currency, refresh) {
  const active = page.active;
  if (!active) return el("p", { class: "meta", id: "no-active-bonus" }, "No bonus is active.");
  const leave = el("button", { type: "button", class: "secondary", id: "forfeit" }, "Leave this bonus");
  leave.addEventListener("click", () =>
    busy(leave, async () => {
      const choice = await ask({
        name: "forfeit",
        title: "Leave this bonus?",
        text: [
          `Your bonus money (${formatAmount(page.bonus_balance, currency)}) will be removed.`,
          "Your cash, your deposits and what they won, stays yours.",
        ],
        actions: [
          { label: "Leave the bonus", value: "leave", primary: true },
          { label: "Keep playing", value: "keep" },
        ],
      });
      if (choice !== "leave") return;
      await call("POST", "/api/bonus/forfeit");
      notify("You left the bonus; its bonus money was removed.", "info");
      await refresh();
    }),
  );
  const spins = active.free_spins;
  return el(
    "div",
    { class: "active-bonus", dataset: { awardId: String(active.award_id) } },
    progress(active, currency),
    el(
      "p",
      { class: "max-stake", dataset: { minor: String(active.max_stake) } },
      active.max_stake ? `Maximum stake while active: ${formatAmount(active.max_stake, currency)}` : "No maximum stake",
    ),
    el("p", { class: "expiry" }, `Expires ${timeText(active.expires_at)}`),
    spins
      ? el(
          "p",
          { class: "free-spins", dataset: { left: String(spins.left) } },
          `${spins.left} free spins left on ${spins.game} at ${formatAmount(spins.stake, currency)}`,
        )
      : null,
    leave,
  );
}

function offerRow(offer, currency, refresh) {
  // A provider's free-bet campaign is offered to this player alone and accepted by its id; the
  // provider awards it then (if it does not answer, the offer stays and can be accepted again).
  const campaign = offer.campaign;
  const button = campaign
    ? el("button", { type: "button", class: "primary small", dataset: { acceptCampaign: campaign } }, "Accept")
    : el("button", { type: "button", class: "primary small", dataset: { optIn: String(offer.id) } }, "Opt in");
  button.addEventListener("click", () =>
    busy(button, async () => {
      await call("POST", "/api/bonus/claim", campaign ? { campaign } : { definition_id: offer.id });
      notify(`You opted into ${offer.name}.`, "success");
      await refresh();
    }),
  );
  const what = [
    campaign ? "free rounds" : offer.kind.replace(/_/g, " "),
    offer.percent ? `${offer.percent} %` : null,
    offer.amount ? formatAmount(offer.amount, currency) : null,
    offer.spins && campaign ? `${offer.spins} rounds of ${offer.game} at ${formatAmount(offer.spin_stake, currency)}` : null,
    offer.spins && !campaign ? `${offer.spins} spins of ${offer.game}` : null,
    offer.wagering ? `${offer.wagering}x wagering` : "no wagering",
    offer.max_stake ? `max stake ${formatAmount(offer.max_stake, currency)}` : null,
  ].filter(Boolean);
  return el("li", { class: "offer", dataset: { definitionId: String(offer.id) } }, el("strong", {}, offer.name), ` · ${what.join(" · ")} `, button);
}

function codeForm(refresh) {
  const input = el("input", { id: "promo-code", name: "code", maxlength: "32", autocomplete: "off", placeholder: "Promo code" });
  const submit = el("button", { type: "submit", class: "secondary small" }, "Claim");
  const form = el("form", { class: "row-form", id: "promo-form" }, input, submit);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(submit, async () => {
      await call("POST", "/api/bonus/claim", { code: input.value.trim() });
      notify("Promo code claimed.", "success");
      await refresh();
    });
  });
  return form;
}

// The one push listener of the bonus screen: replaced on each render, gone once the screen is.
let following = null;

function followProgress(container, currency) {
  if (following) session.removeEventListener("pushed", following);
  following = (event) => {
    const message = event.detail;
    if (!container.isConnected || container.dataset.screen !== "bonus") {
      session.removeEventListener("pushed", following);
      following = null;
      return;
    }
    if (message.type !== "bonus_progress") return;
    const panel = container.querySelector(`.active-bonus[data-award-id='${message.award}']`);
    const shown = panel && panel.querySelector(".bonus-progress");
    if (!shown) return;
    shown.replaceWith(progress({ wagered: message.wagered, required: message.required }, currency));
  };
  session.addEventListener("pushed", following);
}

export async function renderBonus(container) {
  const currency = session.currency;
  const refresh = async () => {
    let page;
    try {
      page = await call("GET", "/api/bonus");
    } catch (error) {
      notify(error.message, "error");
      return;
    }
    replace(
      container,
      el(
        "section",
        { class: "panel bonus", dataset: { state: page.active ? page.active.state : "none" } },
        el("h1", {}, "Bonuses"),
        el(
          "p",
          { class: "bonus-balance", dataset: { minor: String(page.bonus_balance) } },
          `Bonus money (not withdrawable, kept apart from cash): ${formatAmount(page.bonus_balance, currency)}`,
        ),
        el("p", { class: "loyalty", dataset: { points: String(page.loyalty_points) } }, `Loyalty points: ${page.loyalty_points}`),
        el("h2", {}, "Active bonus"),
        activePanel(page, currency, refresh),
        el("h2", {}, "Offers"),
        page.offers.length
          ? el("ul", { class: "offers" }, page.offers.map((offer) => offerRow(offer, currency, refresh)))
          : el("p", { class: "meta" }, "No offers right now."),
        codeForm(refresh),
        el("h2", {}, "Your promotions"),
        el(
          "ul",
          { class: "awards" },
          page.awards.map((award) =>
            el(
              "li",
              { class: "award", dataset: { status: award.status } },
              `${award.name}: ${award.status}${award.outcome ? ` (${award.outcome})` : ""}`,
              award.amount ? ` · ${formatAmount(award.amount, currency)}` : "",
            ),
          ),
        ),
      ),
    );
  };
  await refresh();
  followProgress(container, currency);
}
