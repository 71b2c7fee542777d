// Pelm sandbox Connect: a stand-in for Pelm's Connect script.
// Generation "__PELM_CONNECT_GENERATION__":
// - "legacy" exposes PelmConnect.create and draws its modal in the page;
// - "current" exposes PelmConnect.initialize/open/exit and, as real widgets
//   do, draws its modal in a frame served from the script's own origin,
//   talking to the page only by postMessage;
// - "frame" runs inside that frame.
(function () {
  "use strict";
  var GENERATION = "__PELM_CONNECT_GENERATION__";
  var script = document.currentScript;
  var src = script && script.src ? script.src : "";
  // The modal's API sits beside the script, wherever the sandbox is mounted.
  var ROOT = src.replace(/(connect\/pelm-connect|initialize|connect\/frame)\.js(\?.*)?$/, "");
  var API = ROOT + "connect/api/";
  var P = "pelm-sbx-";
  // Messages between the page and the frame carry this, so others' are ignored.
  var CHANNEL = "pelm-sandbox-connect";

  var CSS = [
    "." + P + "overlay{position:fixed;inset:0;z-index:2147483000;display:flex;align-items:center;justify-content:center;background:rgba(15,23,42,.55);font:16px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:#0f172a}",
    "." + P + "overlay *{box-sizing:border-box;margin:0;font:inherit;color:inherit;letter-spacing:normal;text-transform:none}",
    "." + P + "dialog{position:relative;width:min(420px,calc(100vw - 24px));max-height:calc(100vh - 24px);overflow:auto;background:#fff;border-radius:12px;padding:24px;box-shadow:0 20px 50px rgba(0,0,0,.3)}",
    "." + P + "title{font-size:20px;font-weight:650;margin:0 0 12px}",
    "." + P + "text{margin:0 0 12px;color:#334155}",
    "." + P + "close{position:absolute;top:10px;right:10px;width:36px;height:36px;border:0;border-radius:8px;background:transparent;cursor:pointer;font-size:22px;line-height:1;display:inline-flex;align-items:center;justify-content:center}",
    "." + P + "btn{display:inline-flex;align-items:center;justify-content:center;min-height:44px;padding:10px 16px;border:0;border-radius:8px;background:#1d4ed8;color:#fff;font-weight:600;cursor:pointer;width:100%;margin-top:8px}",
    "." + P + "btn[disabled]{opacity:.6;cursor:progress}",
    "." + P + "utility{display:block;width:100%;text-align:left;min-height:44px;padding:10px 12px;margin:0 0 8px;border:1px solid #cbd5e1;border-radius:8px;background:#fff;cursor:pointer}",
    "." + P + "label{display:block;font-weight:600;margin:10px 0 4px}",
    "." + P + "input{display:block;width:100%;min-height:44px;padding:8px 10px;border:1px solid #94a3b8;border-radius:8px;background:#fff}",
    "." + P + "error{margin:10px 0 0;padding:8px 10px;border-radius:8px;background:#fef2f2;color:#991b1b}",
    "." + P + "hint{margin:16px 0 0;padding:10px;border-radius:8px;background:#f1f5f9;font-size:13px;color:#334155}",
    "." + P + "hint strong{font-weight:650}",
    "." + P + "hint code{font-family:ui-monospace,monospace;font-size:12px}",
    "." + P + "overlay :focus-visible{outline:3px solid #f59e0b;outline-offset:2px}"
  ].join("\n");

  var sheet = null;
  function adoptStyles() {
    // A constructed stylesheet needs no inline <style>, so a strict
    // style-src policy on the host page does not block it.
    if (sheet) return;
    sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    document.adoptedStyleSheets = document.adoptedStyleSheets.concat([sheet]);
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "class") node.className = P + attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }

  function post(path, body) {
    return fetch(API + path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (res) {
      return res.json().catch(function () { return null; }).then(function (json) {
        if (res.ok && json) return json;
        throw json && json.error_code ? json : { error_code: "internal_error", message: "Connect could not reach Pelm. Try again." };
      });
    }, function () {
      throw { error_code: "internal_error", message: "Connect could not reach Pelm. Check your connection and try again." };
    });
  }

  function checkConfig(config) {
    if (!config || typeof config.connectToken !== "string" || !config.connectToken) {
      throw new TypeError("PelmConnect: config.connectToken must be a non-empty string");
    }
    if (typeof config.onSuccess !== "function") throw new TypeError("PelmConnect: config.onSuccess must be a function");
    if (config.onExit != null && typeof config.onExit !== "function") {
      throw new TypeError("PelmConnect: config.onExit must be a function");
    }
  }

  // One Connect session: the modal opened with one config.
  function Session(config) {
    checkConfig(config);
    this.config = config;
    this.overlay = null;
    this.finished = false;
    this.view = null;
    this.utility = null;
    this.returnFocus = null;
    this.onKey = this.onKey.bind(this);
  }

  Session.prototype.open = function () {
    if (this.overlay) return;
    this.finished = false;
    adoptStyles();
    this.returnFocus = document.activeElement;
    this.dialog = el("div", { class: "dialog", role: "dialog", "aria-modal": "true", "aria-labelledby": P + "title" });
    this.overlay = el("div", { class: "overlay", "data-pelm-connect": GENERATION }, [this.dialog]);
    var self = this;
    this.overlay.addEventListener("mousedown", function (e) {
      if (e.target === self.overlay) self.exit("user_initiated_exit", {});
    });
    document.addEventListener("keydown", this.onKey, true);
    document.body.appendChild(this.overlay);
    this.screen("Connecting to Pelm…", [el("p", { class: "text", text: "Loading…" })]);
    post("session", { connect_token: this.config.connectToken }).then(function (view) {
      self.view = view;
      var preset = view.preselected_utility_id && view.utilities.filter(function (u) { return u.id === view.preselected_utility_id; })[0];
      if (preset) self.utility = preset;
      if (view.mode === "create") self.terms();
      else if (self.utility) self.credentials();
      else self.utilities();
    }, function (err) { self.fatal(err); });
  };

  Session.prototype.onKey = function (e) {
    if (!this.overlay) return;
    if (e.key === "Escape") { e.preventDefault(); this.exit("user_initiated_exit", {}); return; }
    if (e.key !== "Tab") return;
    var focusable = this.dialog.querySelectorAll("button:not([disabled]),input:not([disabled])");
    if (!focusable.length) return;
    var first = focusable[0], last = focusable[focusable.length - 1];
    if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
    else if (!this.dialog.contains(document.activeElement)) { e.preventDefault(); first.focus(); }
  };

  Session.prototype.screen = function (title, body) {
    var self = this;
    var close = el("button", { class: "close", type: "button", "aria-label": "Close", "data-action": "close", text: "×" });
    close.addEventListener("click", function () { self.exit("user_initiated_exit", {}); });
    this.dialog.replaceChildren(close, el("h2", { class: "title", id: P + "title", text: title }));
    body.forEach(function (n) { if (n) self.dialog.appendChild(n); });
    var target = this.dialog.querySelector("input,[data-autofocus]") || close;
    target.focus();
  };

  Session.prototype.button = function (label, action, onClick) {
    var b = el("button", { class: "btn", type: "button", "data-action": action, text: label });
    b.addEventListener("click", onClick);
    return b;
  };

  Session.prototype.terms = function () {
    var self = this;
    var go = this.button("Continue", "accept-terms", function () {
      if (self.utility) self.credentials(); else self.utilities();
    });
    go.setAttribute("data-autofocus", "");
    this.screen("Connect your utility account", [
      el("p", { class: "text", text: "This site uses Pelm (sandbox) to link your utility account. By continuing you agree to Pelm's terms of service and privacy policy." }),
      go
    ]);
  };

  Session.prototype.utilities = function () {
    var self = this;
    var list = el("div", { role: "list" });
    this.view.utilities.forEach(function (u, i) {
      var b = el("button", { class: "utility", type: "button", role: "listitem", "data-utility-id": u.id, text: u.full_name });
      if (i === 0) b.setAttribute("data-autofocus", "");
      b.addEventListener("click", function () { self.utility = u; self.credentials(); });
      list.appendChild(b);
    });
    this.screen("Select your utility", [list]);
  };

  Session.prototype.hint = function () {
    var rows = this.view.test_logins.map(function (t) {
      return el("li", {}, [el("code", { text: t.username + " / " + t.password }), document.createTextNode(" — " + t.purpose)]);
    });
    return el("div", { class: "hint" }, [el("strong", { text: "Sandbox test logins" }), el("ul", {}, rows)]);
  };

  Session.prototype.form = function (fields, submitLabel, action, submit) {
    var self = this;
    var error = el("p", { class: "error", role: "alert", hidden: "" });
    var inputs = fields.map(function (f) {
      return el("input", { class: "input", id: P + f.name, name: f.name, type: f.type, autocomplete: f.autocomplete || "off" });
    });
    var nodes = [];
    fields.forEach(function (f, i) {
      nodes.push(el("label", { class: "label", for: P + f.name, text: f.label }), inputs[i]);
    });
    var btn = el("button", { class: "btn", type: "submit", "data-action": action, text: submitLabel });
    var formEl = el("form", { novalidate: "" }, nodes.concat([error, btn]));
    formEl.addEventListener("submit", function (e) {
      e.preventDefault();
      if (btn.disabled) return;
      btn.disabled = true;
      error.hidden = true;
      submit(inputs.map(function (i) { return i.value; })).then(null, function (err) {
        if (!self.overlay) return;
        btn.disabled = false;
        error.textContent = err.message || "Something went wrong.";
        error.hidden = false;
      });
    });
    return formEl;
  };

  Session.prototype.credentials = function () {
    var self = this;
    var u = this.utility;
    var form = this.form(
      [{ name: "username", label: "Username", type: "text", autocomplete: "username" },
       { name: "password", label: "Password", type: "password", autocomplete: "current-password" }],
      "Connect", "submit-credentials",
      function (values) {
        return post("login", { connect_token: self.config.connectToken, utility_id: u.id, username: values[0], password: values[1] })
          .then(function (ok) { self.success(ok.authorization_code); }, function (err) {
            if (err.error_code === "mfa_required") return self.mfa();
            if (err.error_code === "utility_unavailable") {
              return self.exit("unavailable_utility_credentials_submitted", { utility_id: u.id, utility_name: u.full_name });
            }
            if (err.error_code === "connect_max_attempted_logins" || err.error_code === "token_invalid") return self.fatal(err);
            throw err;
          });
      });
    this.screen("Sign in to " + u.full_name, [form, this.hint()]);
  };

  Session.prototype.mfa = function () {
    var self = this;
    var form = this.form([{ name: "mfa-code", label: "Verification code", type: "text", autocomplete: "one-time-code" }],
      "Verify", "submit-mfa",
      function (values) {
        return post("mfa", { connect_token: self.config.connectToken, code: values[0] })
          .then(function (ok) { self.success(ok.authorization_code); }, function (err) {
            if (err.error_code === "connect_max_attempted_logins" || err.error_code === "token_invalid") return self.fatal(err);
            throw err;
          });
      });
    this.screen("Enter your verification code", [
      el("p", { class: "text", text: "Your utility sent a code to your phone. (Sandbox: the code is 1234.)" }), form
    ]);
  };

  // An error Connect cannot recover from: shown, then reported through onExit
  // with status "error" and the Pelm error in metadata when the user closes.
  Session.prototype.fatal = function (err) {
    var self = this;
    var meta = { error_code: err.error_code || "internal_error", message: err.message || "" };
    var done = this.button("Close", "close-error", function () { self.exit("error", meta); });
    done.setAttribute("data-autofocus", "");
    this.screen("Connect could not continue", [el("p", { class: "error", role: "alert", text: meta.message }), done]);
    this.fatalMeta = meta;
  };

  Session.prototype.success = function (code) {
    if (this.finished) return;
    this.finished = true;
    this.close();
    this.config.onSuccess(code);
  };

  Session.prototype.exit = function (status, metadata) {
    if (!this.overlay) return;
    if (this.fatalMeta && status === "user_initiated_exit") { status = "error"; metadata = this.fatalMeta; }
    var wasFinished = this.finished;
    this.finished = true;
    this.close();
    if (!wasFinished && this.config.onExit) this.config.onExit(status, metadata || {});
  };

  Session.prototype.close = function () {
    document.removeEventListener("keydown", this.onKey, true);
    if (this.overlay) this.overlay.remove();
    this.overlay = null;
    this.fatalMeta = null;
    if (this.returnFocus && this.returnFocus.focus) this.returnFocus.focus();
  };

  // The page side of the framed Connect: an overlay holding a frame from the
  // script's origin. Its styles come as a constructed stylesheet (CSSOM), so
  // the page's style-src needs nothing added.
  var FRAME_CSS = [
    "." + P + "frame-overlay{position:fixed;inset:0;z-index:2147483000;margin:0;padding:0;border:0;background:transparent}",
    "." + P + "frame{position:absolute;inset:0;width:100%;height:100%;border:0;background:transparent;color-scheme:normal}"
  ].join("\n");
  var frameSheet = null;
  function adoptFrameStyles() {
    if (frameSheet) return;
    frameSheet = new CSSStyleSheet();
    frameSheet.replaceSync(FRAME_CSS);
    document.adoptedStyleSheets = document.adoptedStyleSheets.concat([frameSheet]);
  }
  var FRAME_ORIGIN = new URL(ROOT || location.href, location.href).origin;

  function Framed(config) {
    checkConfig(config);
    this.config = config;
    this.overlay = null;
    this.frame = null;
    this.finished = false;
    this.returnFocus = null;
    this.onMessage = this.onMessage.bind(this);
  }

  Framed.prototype.open = function () {
    if (this.overlay) return;
    this.finished = false;
    adoptFrameStyles();
    this.returnFocus = document.activeElement;
    var frame = el("iframe", {
      class: "frame",
      title: "Pelm Connect",
      src: ROOT + "connect/frame.html#origin=" + encodeURIComponent(location.origin)
    });
    this.frame = frame;
    this.overlay = el("div", { class: "frame-overlay", "data-pelm-connect": GENERATION }, [frame]);
    window.addEventListener("message", this.onMessage);
    document.body.appendChild(this.overlay);
    frame.focus();
  };

  Framed.prototype.onMessage = function (event) {
    // Only the frame we opened, from the origin it was loaded from.
    if (!this.frame || event.source !== this.frame.contentWindow || event.origin !== FRAME_ORIGIN) return;
    var data = event.data;
    if (!data || data.channel !== CHANNEL) return;
    if (data.type === "ready") {
      this.frame.contentWindow.postMessage({ channel: CHANNEL, type: "open", connectToken: this.config.connectToken }, FRAME_ORIGIN);
      this.frame.focus();
    } else if (data.type === "success" && typeof data.code === "string") {
      this.success(data.code);
    } else if (data.type === "exit") {
      this.exit(String(data.status || "user_initiated_exit"), data.metadata || {});
    }
  };

  // Finishing is the in-page modal's: once, then the page's callback.
  Framed.prototype.success = Session.prototype.success;
  Framed.prototype.exit = Session.prototype.exit;

  Framed.prototype.close = function () {
    window.removeEventListener("message", this.onMessage);
    if (this.overlay) this.overlay.remove();
    this.overlay = null;
    this.frame = null;
    if (this.returnFocus && this.returnFocus.focus) this.returnFocus.focus();
  };

  if (GENERATION === "legacy") {
    window.PelmConnect = {
      create: function (config) {
        return new Promise(function (resolve) {
          var session = new Session(config);
          resolve({
            open: function () { session.open(); },
            exit: function () { session.exit("user_initiated_exit", {}); },
            validateToken: function (token) {
              return post("validate", { connect_token: token }).then(function (r) { return !!r.valid; }, function () { return false; });
            }
          });
        });
      }
    };
  } else if (GENERATION === "frame") {
    // Inside the frame: the page's origin comes in the address, and is the
    // only one listened to or written to.
    var parentOrigin = new URLSearchParams(location.hash.slice(1)).get("origin");
    var opened = null;
    var tell = function (message) {
      message.channel = CHANNEL;
      window.parent.postMessage(message, parentOrigin);
    };
    if (parentOrigin && window.parent !== window) {
      window.addEventListener("message", function (event) {
        if (event.source !== window.parent || event.origin !== parentOrigin) return;
        var data = event.data;
        if (!data || data.channel !== CHANNEL || data.type !== "open" || opened) return;
        opened = new Session({
          connectToken: data.connectToken,
          onSuccess: function (code) { tell({ type: "success", code: code }); },
          onExit: function (status, metadata) { tell({ type: "exit", status: status, metadata: metadata }); }
        });
        // Closing the modal in the frame only tells the page; the page removes the frame.
        opened.returnFocus = null;
        opened.open();
      });
      tell({ type: "ready" });
    }
  } else {
    var current = null;
    window.PelmConnect = {
      initialize: function (config) {
        if (current) current.exit("user_initiated_exit", {});
        current = new Framed(config);
        var onReady = config.onReady;
        if (typeof onReady === "function") setTimeout(function () { onReady(); }, 0);
      },
      open: function (config) {
        if (config) { if (current) current.exit("user_initiated_exit", {}); current = new Framed(config); }
        if (!current) throw new Error("PelmConnect.open: call initialize first");
        current.open();
      },
      exit: function () { if (current) current.exit("user_initiated_exit", {}); }
    };
  }
})();
