// The sentence a player reads for a refusal, from the wording table the terminal client reads
// too (clients/web/messages.json; clients/wording.py is the terminal's reader of the same
// rules). The server sends a stable code, a `message` for developers and, when the refusal has
// figures, `params` (amounts in minor units with their `currency`, `minutes`, `age`, and a
// `variant` naming the sentence). The table lists each code's sentences from most to least
// specific: the first whose `when` (if any) is params.variant and whose placeholders all have a
// value is the one. {name:money} shows minor units in major units with the currency, as
// "1,000,000.00 EUR"; {name:minutes} and {name:seconds} a count with its unit; {name:words} an API
// name in words (date_of_birth: "date of birth"). A sentence with a `place` is only for that
// place (`form`: under the cashier form that was refused, clients/web/js/refusals.js). A code
// the table lacks (a newer server) falls back to the server's message.

import { formatAmount } from "./money.js";

const PLACEHOLDER = /\{(\w+)(?::(\w+))?\}/g;

async function load() {
  try {
    const response = await fetch(new URL("../messages.json", import.meta.url), { cache: "no-cache" });
    if (!response.ok) return {};
    return (await response.json()).codes || {};
  } catch (error) {
    console.warn("the wording table could not be loaded; showing the server's messages", error);
    return {};
  }
}

const TABLE = await load();

function count(value, unit) {
  return `${value} ${unit}${value === 1 ? "" : "s"}`;
}

function valueText(name, kind, params) {
  const value = params[name];
  if (value === undefined || value === null || typeof value === "boolean") return null;
  if (!kind) return String(value);
  if (kind === "words") return String(value).replace(/_/g, " ");
  if (!Number.isInteger(value)) return null;
  if (kind === "money") return typeof params.currency === "string" ? formatAmount(value, params.currency) : null;
  return count(value, kind.replace(/s$/, ""));
}

/** `template` filled from `params`, or null when a placeholder has no value. */
export function fill(template, params) {
  let missing = false;
  const text = template.replace(PLACEHOLDER, (_, name, kind) => {
    const filled = valueText(name, kind, params);
    if (filled === null) missing = true;
    return filled ?? "";
  });
  return missing ? null : text;
}

/** What to tell the player about a refusal with `code` and `params`; `place` (e.g. "form")
 * also admits the sentences written for that place. */
export function sentence(code, params, fallback, place = null) {
  const given = params && typeof params === "object" ? params : {};
  for (const entry of TABLE[code] || []) {
    const when = typeof entry === "string" ? null : entry.when;
    const template = typeof entry === "string" ? entry : entry.text;
    if (when && when !== given.variant) continue;
    if (typeof entry !== "string" && entry.place && entry.place !== place) continue;
    const text = fill(template, given);
    if (text !== null) return text;
  }
  return fallback || code;
}
