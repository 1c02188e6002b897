// The staff session, kept in sessionStorage: it lives as long as this tab and is gone when
// the tab closes; it never reaches localStorage or a cookie.

const KEY = "backoffice.session";

export function current() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) || "null");
  } catch (error) {
    return null;
  }
}

export function keep(session) {
  sessionStorage.setItem(KEY, JSON.stringify(session));
}

export function forget() {
  sessionStorage.removeItem(KEY);
}
