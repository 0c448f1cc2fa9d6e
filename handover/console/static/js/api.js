// The /handover/ API from the browser: JSON in and out, the CSRF token on every state-changing
// request, and one place that notices an ended session.
//
// The CSRF token lives only in memory (never in storage another script could read later); the
// session cookie is HttpOnly. After a reload `resume()` asks the server for the session's agent
// and token (GET /handover/session, answered only with the cookie), so the agent stays logged in
// until the session expires or they log out.

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

/** A refusal from the API: `status`, the API's `error` reason and its `message`. */
export class ApiError extends Error {
  constructor(status, reason, message, detail) {
    super(message);
    this.status = status;
    this.reason = reason;
    this.detail = detail;
  }
}

export class Api {
  /** @param {{onExpired?: (message: string) => void}} options  called once when a request gets 401 */
  constructor({ onExpired } = {}) {
    this.csrf = null;
    this.agent = null;
    this.onExpired = onExpired || (() => {});
  }

  get loggedIn() {
    return this.csrf !== null;
  }

  async login(username, password) {
    const body = await this.request("POST", "/handover/login", { username, password }, { login: true });
    this.csrf = body.csrf_token;
    this.agent = body.agent;
    return body.agent;
  }

  /** The agent of a session still live after a reload, or null (never logged in, expired, logged out). */
  async resume() {
    try {
      const body = await this.request("GET", "/handover/session", undefined, { login: true });
      if (!body || !body.csrf_token) return null;
      this.csrf = body.csrf_token;
      this.agent = body.agent;
      return body.agent;
    } catch (failure) {
      if (failure.status === 401) return null;
      throw failure;
    }
  }

  async logout() {
    try {
      await this.request("POST", "/handover/logout");
    } finally {
      this.csrf = null;
      this.agent = null;
    }
  }

  get(path) {
    return this.request("GET", path);
  }

  post(path, body) {
    return this.request("POST", path, body);
  }

  put(path, body) {
    return this.request("PUT", path, body);
  }

  /** A conversation's path: ids are percent-encoded once. */
  conversation(id, rest = "") {
    return `/handover/conversations/${encodeURIComponent(id)}${rest}`;
  }

  async request(method, path, body, { login = false } = {}) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (!SAFE.has(method) && this.csrf) headers["X-CSRF-Token"] = this.csrf;
    let response;
    try {
      response = await fetch(path, {
        method, headers, credentials: "same-origin", cache: "no-store",
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new ApiError(0, "NetworkError", "The server cannot be reached.", String(error));
    }
    const text = await response.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
    if (!response.ok) {
      const message = (data && (data.message || data.error)) || `${response.status} ${response.statusText}`;
      const error = new ApiError(response.status, data && data.reason, message, data && data.detail);
      if (response.status === 401 && !login && this.csrf !== null) {
        this.csrf = null;
        this.agent = null;
        this.onExpired(message);
      }
      throw error;
    }
    return data;
  }
}

const RETRIES = [250, 500, 1000, 2000, 4000];

/** Runs a read again while the server is away or restarting (no answer, 5xx); gives up when `stale()`. */
export async function retrying(read, stale) {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await read();
    } catch (failure) {
      const transient = failure.status === 0 || failure.status >= 500;
      if (!transient || attempt >= RETRIES.length || stale()) throw failure;
      await new Promise((resolve) => setTimeout(resolve, RETRIES[attempt]));
    }
  }
}
