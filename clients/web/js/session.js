// The player's session: the login token (sessionStorage only; the device id is device.js's),
// the play connection and its reconnection, the balance, and the server's pushes.
//
// Request ids count up for the whole page and the hello names this page's client
// session, so a request cut off by a dropped connection is sent again under its id
// after reconnecting and the server answers it once (capability "idempotent-requests").
//
// Events: "balance" (detail: minor units), "push" (a push the page should mention),
// "open-rounds" (unfinished hands listed by welcome), "connection" (detail: "online" |
// "offline"), "ended" (detail: {reason, forced}: back to the login screen), "pushed" (every
// push as it came), "limit-prompt" (a deposit whose reply asks to offer a deposit limit),
// "played" (a spin, deal or move the server accepted: earlier error notices are stale).

import { deviceId } from "./device.js";
import { accounts, money } from "./http.js";
import { GameSocket, ProtocolError, socketUrl } from "./socket.js";

const TOKEN_KEY = "casino.token";
const RECONNECT_DELAYS_MS = [300, 1000, 2000, 4000, 8000];
const SESSION_ENDING_CODES = new Set(["INVALID_TOKEN", "TOKEN_EXPIRED", "NOT_AUTHENTICATED"]);
const CLOSE = { POLICY_VIOLATION: 1008, TRY_AGAIN_LATER: 1013, FORCED_LOGOUT: 4003 };
const RESEND_WAIT_MS = 10000;
const REFRESH_DELAY_MS = 150;
// The requests a player makes to play; one accepted makes an earlier refusal's notice stale
// (a resume is not one: it follows a refused move, whose notice must stay).
const PLAY_REQUESTS = new Set(["spin", "play", "act"]);

function randomId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

class Session extends EventTarget {
  constructor() {
    super();
    this.token = sessionStorage.getItem(TOKEN_KEY);
    this.player = null; // {player_id, username, currency}
    this.balance = null;
    this.socket = null;
    this.live = false; // connected once and not yet ended
    this.capabilities = [];
    this.clientSession = randomId();
    this.nextId = 1;
    this.holds = 0;
    this.refreshTimer = null;
    this.depositing = 0; // this page's deposits in flight (their pushes need no notice)
    this.ownDepositBalance = null;
    this.revealedSeeds = new Map(); // seed hash -> revealed server seed (hex), this page only
    this.openRounds = new Map(); // round id -> game id of the player's unfinished rounds
  }

  get currency() {
    return this.player ? this.player.currency : "EUR";
  }

  /** `code`: the two-factor code, when the server asked for one (TWO_FACTOR_REQUIRED). */
  async login(login, password, code) {
    const created = await accounts.login(login, password, { device_id: deviceId(), ...(code ? { code } : {}) });
    this.token = created.token;
    sessionStorage.setItem(TOKEN_KEY, this.token);
    return this.connect();
  }

  async register(fields) {
    await accounts.register(fields);
    return this.login(fields.username, fields.password);
  }

  /** Opens the socket and says hello; resolves with the welcome. */
  async connect() {
    const socket = new GameSocket(socketUrl(), {
      onPush: (message) => this.pushed(message),
      onClose: (info) => this.disconnected(socket, info),
    });
    await socket.open();
    let welcome;
    try {
      welcome = await socket.request(
        "hello",
        { token: this.token, version: 1, client_session: this.clientSession },
        this.nextId++,
      );
    } catch (error) {
      socket.close();
      if (SESSION_ENDING_CODES.has(error.code)) this.forget();
      throw error;
    }
    this.socket = socket;
    this.live = true;
    this.capabilities = welcome.capabilities || [];
    this.player = { player_id: welcome.player_id, username: welcome.username, currency: welcome.currency };
    this.setBalance(welcome.balance);
    this.openRounds = new Map((welcome.open_rounds || []).map((open) => [open.round_id, open.game]));
    if (this.openRounds.size) {
      this.dispatchEvent(new CustomEvent("open-rounds", { detail: welcome.open_rounds }));
    }
    return welcome;
  }

  /** A request over the socket; replies that carry a balance update it. */
  async request(type, fields = {}) {
    const id = this.nextId++;
    for (let attempt = 1; ; attempt += 1) {
      try {
        const socket = this.socket || (await this.reconnected());
        const reply = await socket.request(type, fields, id);
        if (typeof reply.balance === "number") this.setBalance(reply.balance);
        if (PLAY_REQUESTS.has(type)) this.dispatchEvent(new Event("played"));
        return reply;
      } catch (error) {
        if (typeof error.balance === "number") this.setBalance(error.balance);
        if (SESSION_ENDING_CODES.has(error.code)) this.end(error.message, false);
        const resend = error.code === "DISCONNECTED" && this.capabilities.includes("idempotent-requests");
        if ((resend || error.code === "REQUEST_IN_PROGRESS") && attempt < 3 && this.token) {
          await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
          continue;
        }
        throw error;
      }
    }
  }

  /** Resolves with the socket once the session is connected again (bounded wait). */
  reconnected() {
    return new Promise((resolve, reject) => {
      const giveUp = () => {
        this.removeEventListener("connection", back);
        reject(new ProtocolError({ code: "DISCONNECTED", message: "not connected to the game server" }));
      };
      const timer = setTimeout(giveUp, RESEND_WAIT_MS);
      const back = () => {
        if (!this.socket) return;
        clearTimeout(timer);
        this.removeEventListener("connection", back);
        resolve(this.socket);
      };
      this.addEventListener("connection", back);
    });
  }

  async deposit(amount) {
    this.depositing += 1;
    try {
      const receipt = await money.deposit(this.token, amount, `web-${randomId()}`);
      this.setBalance(receipt.balance);
      this.ownDepositBalance = receipt.balance;
      if (receipt.limit_prompt) this.dispatchEvent(new CustomEvent("limit-prompt", { detail: receipt }));
      return receipt;
    } finally {
      this.depositing -= 1;
    }
  }

  async logout() {
    const token = this.token;
    this.live = false;
    this.forget();
    if (this.socket) this.socket.close();
    this.socket = null;
    if (token) await accounts.logout(token).catch(() => undefined);
  }

  /** Keeps the shown balance still (a slot's reels are turning); release() shows the latest. */
  holdBalance() {
    this.holds += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds -= 1;
      if (this.holds === 0 && this.balance !== null) this.emitBalance();
    };
  }

  setBalance(minor) {
    this.balance = minor;
    if (this.holds === 0) this.emitBalance();
  }

  emitBalance() {
    this.dispatchEvent(new CustomEvent("balance", { detail: this.balance }));
  }

  pushed(message) {
    this.dispatchEvent(new CustomEvent("pushed", { detail: message })); // every push, as sent
    if (message.type === "balance_changed") {
      if (typeof message.balance === "number") this.refreshBalance(message.balance);
      // Worth a notice when it came from elsewhere: not a round, not this page's deposit.
      const ours =
        message.reason === "deposit" && (this.depositing > 0 || message.balance === this.ownDepositBalance);
      if (message.reason && message.reason !== "round" && !ours) {
        this.dispatchEvent(new CustomEvent("push", { detail: message }));
      }
    } else if (message.type === "bonus_progress") {
      // One per counted stake: the bonus screen follows it ("pushed"), no notice for it.
    } else if (message.type === "forced_logout") {
      this.end(message.reason || "You were logged out.", true);
    } else {
      this.dispatchEvent(new CustomEvent("push", { detail: message }));
    }
  }

  /**
   * A push can overtake or trail a reply, so the balance it carries may be stale: ask for
   * the balance as it is now, once for a burst of pushes (a fast slot sends one per spin).
   */
  refreshBalance(pushed) {
    if (this.refreshTimer || !this.socket) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      this.request("balance").catch(() => this.setBalance(pushed));
    }, REFRESH_DELAY_MS);
  }

  async disconnected(socket, { code, byUs }) {
    if (byUs || socket !== this.socket) return;
    this.socket = null;
    if (code === CLOSE.FORCED_LOGOUT) {
      this.end("Your session was logged out.", true);
      return;
    }
    if (code === CLOSE.POLICY_VIOLATION) {
      this.end("The server closed the connection: too many refused requests.", false);
      return;
    }
    this.dispatchEvent(new CustomEvent("connection", { detail: "offline" }));
    const slow = code === CLOSE.TRY_AGAIN_LATER ? 4 : 1;
    for (const delay of RECONNECT_DELAYS_MS) {
      await new Promise((resolve) => setTimeout(resolve, delay * slow));
      if (!this.token || this.socket) return;
      try {
        await this.connect();
        this.dispatchEvent(new CustomEvent("connection", { detail: "online" }));
        return;
      } catch (error) {
        if (!this.token) break; // the token was refused: connect() forgot it
      }
    }
    this.end(this.token ? "The connection to the game server was lost." : "Your session has ended.", false);
  }

  /** The session is over (forced logout, expired token): forget it and tell the page. */
  end(reason, forced) {
    if (!this.live) return; // already over (several requests may learn it at once)
    this.live = false;
    this.forget();
    if (this.socket) this.socket.close();
    this.socket = null;
    this.dispatchEvent(new CustomEvent("ended", { detail: { reason, forced } }));
  }

  forget() {
    this.token = null;
    this.player = null;
    this.balance = null;
    this.revealedSeeds.clear();
    this.openRounds.clear();
    sessionStorage.removeItem(TOKEN_KEY);
  }
}

export const session = new Session();
