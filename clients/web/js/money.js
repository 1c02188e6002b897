// Money on screen: integer minor units in, text out, and back. Never through a float,
// so 0.10 + 0.20 is exactly 30 minor units here as it is on the server.

const EXPONENTS = { JPY: 0, KRW: 0, ISK: 0 }; // every other wallet currency has 2 decimals

export function exponent(currency) {
  return EXPONENTS[currency] ?? 2;
}

/** "1,234.50" for 123450 minor units of EUR. */
export function formatMoney(minor, currency = "EUR") {
  const digits = exponent(currency);
  const negative = minor < 0;
  const text = String(Math.abs(minor)).padStart(digits + 1, "0");
  const whole = text.slice(0, text.length - digits).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const fraction = digits ? "." + text.slice(text.length - digits) : "";
  return (negative ? "-" : "") + whole + fraction;
}

/** "1,234.50 EUR". */
export function formatAmount(minor, currency = "EUR") {
  return `${formatMoney(minor, currency)} ${currency}`;
}

/** Minor units for text such as "12", "12.5" or "12.50"; null when it is not an amount. */
export function parseMoney(text, currency = "EUR") {
  const digits = exponent(currency);
  const pattern = digits ? new RegExp(`^(\\d{1,13})(?:[.,](\\d{1,${digits}}))?$`) : /^(\d{1,15})$/;
  const match = String(text).trim().match(pattern);
  if (!match) return null;
  const fraction = (match[2] || "").padEnd(digits, "0");
  return Number(match[1]) * 10 ** digits + Number(fraction || "0");
}
