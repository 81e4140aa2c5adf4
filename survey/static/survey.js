/* Progressive enhancement only: every page works without this file.
   - hides questions whose condition no longer holds, and "Please specify" boxes of unpicked choices
   - offers only the choices of a list that belong to the earlier answer it follows
   - moves focus to the error summary
   - shows the deadline in the person's own time zone
   - stops a second click on "Submit" from sending the form twice
   - keeps answers typed but not yet saved when the person switches language (the switch is a
     plain link that reloads the page; without this file only saved answers come along)
   - saves a section without leaving the page until it is saved: a failed save (no network, the
     server down) keeps everything typed, says so, and sends it again when back online; the
     answers stay in the tab until saved (without this file the server shows the page again)
   - shows "Use my location" on a place question where the browser can tell the location, and
     fills its two boxes (which stay typeable) */
(function () {
  "use strict";

  function formAnswers(form) {
    var answers = JSON.parse(form.getAttribute("data-answers") || "{}");
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name === "csrf_token") { return; }
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) { return; }
      // Read as the server reads it: trimmed, and a number where the question's answers are
      // numbers ("+9", "9,5"); choice codes and texts stay text even when they are digits.
      var value = el.value.trim();
      if (value === "") { return; }
      var question = el.closest("[data-question]");
      if (question && question.hasAttribute("data-number") && /^[+-]?\d+([.,]\d+)?$/.test(value)) {
        value = parseFloat(value.replace(",", "."));
      }
      var parts = el.name.split("__");
      if (parts.length === 2) {
        answers[parts[0]] = answers[parts[0]] || {};
        answers[parts[0]][parts[1]] = value;
      } else if (question && question.hasAttribute("data-list") &&
                 el.name === question.getAttribute("data-question")) {
        (answers[el.name] = answers[el.name] || []).push(el.value);
      } else {
        answers[el.name] = value;
      }
    });
    return answers;
  }

  var MISSING = {};
  var ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
  var LARGEST = 1e30;
  // Text holding a number ("3", as a calculation gives) counts as the number, as on the server.
  function asNumber(value) {
    if (typeof value === "number") { return value; }
    if (typeof value === "string" && /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(value)) {
      return parseFloat(value);
    }
    return MISSING;
  }
  function isoToday() {
    var now = new Date();
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return now.getFullYear() + "-" + two(now.getMonth() + 1) + "-" + two(now.getDate());
  }
  function arithmetic(op, left, right) {
    var a = asNumber(left), b = asNumber(right);
    if (a === MISSING || b === MISSING) { return MISSING; }
    if ((op === "/" || op === "%") && b === 0) { return MISSING; }
    var result = op === "+" ? a + b : op === "-" ? a - b : op === "*" ? a * b :
      op === "/" ? a / b : a % b;
    return isFinite(result) && Math.abs(result) <= LARGEST ? result : MISSING;
  }
  function call(name, values) {
    if (name === "today") { return isoToday(); }
    var value = values[0];
    if (name === "count_selected") { return Array.isArray(value) ? value.length : 0; }
    if (value === MISSING) { return name === "string_length" ? 0 : false; }
    var text = Array.isArray(value) ? value.join(" ") : String(value);
    if (name === "string_length") { return text.length; }
    try { return new RegExp(values[1]).test(text); } catch (error) { return false; }
  }
  function evaluate(node, answers) {
    if ("lit" in node) { return node.lit; }
    if ("list" in node) { return node.list; }
    if ("ref" in node) {
      if (node.ref === "current_year") { return new Date().getFullYear(); }
      var value = answers[node.ref];
      if (node.row !== null && value !== undefined) { value = value[node.row]; }
      if (value === undefined || value === null || value === "" ||
          (Array.isArray(value) && value.length === 0)) { return MISSING; }
      return value;
    }
    if ("answered" in node) { return evaluate(node.answered, answers) !== MISSING; }
    if ("not" in node) { return !truthy(evaluate(node.not, answers)); }
    if ("and" in node) { return node.and.every(function (n) { return truthy(evaluate(n, answers)); }); }
    if ("or" in node) { return node.or.some(function (n) { return truthy(evaluate(n, answers)); }); }
    if ("if" in node) {
      return evaluate(truthy(evaluate(node.if[0], answers)) ? node.if[1] : node.if[2], answers);
    }
    if ("call" in node) {
      return call(node.call, node.args.map(function (n) { return evaluate(n, answers); }));
    }
    var left = evaluate(node.left, answers), right = evaluate(node.right, answers);
    if (["+", "-", "*", "/", "%"].indexOf(node.op) !== -1) { return arithmetic(node.op, left, right); }
    if (left === MISSING || right === MISSING) { return false; }
    if (node.op === "in") { return Array.isArray(right) && right.indexOf(left) !== -1; }
    if (node.op === "not in") { return Array.isArray(right) && right.indexOf(left) === -1; }
    if (typeof left === "number" || typeof right === "number") {
      left = asNumber(left);
      right = asNumber(right);
      if (left === MISSING || right === MISSING) { return node.op === "!="; }
    }
    if (node.op === "==") { return left === right; }
    if (node.op === "!=") { return left !== right; }
    var dates = ISO_DATE.test(left) && ISO_DATE.test(right);
    if (!dates && (typeof left !== "number" || typeof right !== "number")) { return false; }
    switch (node.op) {
      case "<": return left < right;
      case "<=": return left <= right;
      case ">": return left > right;
      case ">=": return left >= right;
    }
    return false;
  }
  function truthy(value) { return value !== MISSING && Boolean(value); }

  // A choice list that follows an earlier answer shows only the group of that answer (and the
  // choices that belong to none); a choice of a hidden group is unticked.
  function filterChoices(block, answers) {
    var follows = block.getAttribute("data-follows");
    if (!follows) { return; }
    var given = answers[follows] === undefined ? null : String(answers[follows]);
    var name = block.getAttribute("data-question");
    block.querySelectorAll(".choices[data-parent]").forEach(function (group) {
      var parent = group.getAttribute("data-parent");
      var shown = parent === "" || parent === given;
      group.hidden = !shown;
      if (shown) { return; }
      group.querySelectorAll("input:checked").forEach(function (input) {
        input.checked = false;
        delete answers[name];
      });
    });
  }

  function refresh(form) {
    var answers = formAnswers(form);
    form.querySelectorAll("[data-question]").forEach(function (block) {
      var name = block.getAttribute("data-question");
      var relevant = block.getAttribute("data-relevant");
      var shown = !relevant || truthy(evaluate(JSON.parse(relevant), answers));
      var calculation = block.getAttribute("data-calculation");
      if (calculation) {  // never shown: its value is worked out, in page order
        var value = shown ? evaluate(JSON.parse(calculation), answers) : MISSING;
        if (value === MISSING || value === "") { delete answers[name]; } else { answers[name] = value; }
        return;
      }
      if (relevant) { block.hidden = !shown; }
      if (!shown) { delete answers[name]; }
      filterChoices(block, answers);
    });
    form.querySelectorAll("[data-other-of]").forEach(function (box) {
      var name = box.getAttribute("data-other-of");
      var code = box.getAttribute("data-other-code");
      var input = form.querySelector('input[name="' + name + '"][value="' + code + '"]');
      box.hidden = !(input && input.checked);
    });
  }

  // The person's zone in their language ("hora de Argentina"), or its id where the browser
  // cannot name it.
  function zoneName(lang, zone, when) {
    try {
      var parts = new Intl.DateTimeFormat(lang, { timeZone: zone, timeZoneName: "longGeneric" })
        .formatToParts(when);
      for (var i = 0; i < parts.length; i++) {
        if (parts[i].type === "timeZoneName") { return parts[i].value; }
      }
    } catch (e) { /* an older browser */ }
    return zone;
  }

  function localTimes() {
    var zone;
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
    document.querySelectorAll("time[data-local-time]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when.getTime()) || el.nextElementSibling && el.nextElementSibling.classList.contains("local-time")) { return; }
      var lang = document.documentElement.lang || undefined;
      var own = (navigator.languages || []).filter(function (tag) {
        return lang && tag.split("-")[0] === lang;
      })[0];
      var text = new Intl.DateTimeFormat(own || lang, {
        dateStyle: "long", timeStyle: "short", timeZone: zone
      }).format(when);
      var span = document.createElement("span");
      span.className = "local-time";
      var label = el.getAttribute("data-local-label");
      span.textContent = (label ? label + " " : "") + text + " (" + zoneName(own || lang, zone, when) + ")";
      el.insertAdjacentElement("afterend", span);
    });
  }

  function countdowns() {
    var spans = document.querySelectorAll("[data-countdown]");
    if (!spans.length || !window.Intl || !Intl.NumberFormat) { return; }
    var lang = document.documentElement.lang || undefined;
    function unit(name, value) {
      try {
        return new Intl.NumberFormat(lang, { style: "unit", unit: name, unitDisplay: "long" }).format(value);
      } catch (e) { return value + " " + name + (value === 1 ? "" : "s"); }
    }
    function tick() {
      spans.forEach(function (span) {
        var left = Math.max(0, new Date(span.getAttribute("data-countdown")).getTime() - Date.now());
        var minutes = Math.floor(left / 60000);
        var days = Math.floor(minutes / 1440), hours = Math.floor(minutes / 60) % 24;
        var parts = [];
        if (days) { parts.push(unit("day", days)); }
        if (hours || days) { parts.push(unit("hour", hours)); }
        if (!days) { parts.push(unit("minute", minutes % 60)); }
        span.textContent = parts.join(" ");
      });
    }
    tick();
    window.setInterval(tick, 30000);
  }

  // What a section form holds, by field name (the ticked choices, the typed texts), kept in
  // the tab's sessionStorage under a key and this page's path: answers typed but not yet saved
  // come back when the page is shown again.
  var DRAFT = "survey-draft:";      // a language switch: restored once, on the page it opens
  var UNSAVED = "survey-unsaved:";  // a failed save: kept until a save succeeds
  function pageStorage() {
    try { return window.sessionStorage; } catch (e) { return null; }
  }
  function eachField(form, each) {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.name && el.name !== "csrf_token" && el.type !== "submit") { each(el); }
    });
  }
  function fieldValues(form) {
    var values = {};
    eachField(form, function (el) {
      var list = values[el.name] = values[el.name] || [];
      if ((el.type !== "radio" && el.type !== "checkbox") || el.checked) { list.push(el.value); }
    });
    return values;
  }
  function restoreFields(form, values) {
    eachField(form, function (el) {
      if (!(el.name in values)) { return; }
      if (el.type === "radio" || el.type === "checkbox") {
        el.checked = values[el.name].indexOf(el.value) !== -1;
      } else {
        el.value = values[el.name][0] || "";
      }
    });
  }
  function keep(kind, form) {
    var storage = pageStorage();
    try {
      if (storage) { storage.setItem(kind + location.pathname, JSON.stringify(fieldValues(form))); }
    } catch (e) { /* storage full or off */ }
  }
  function kept(kind) {
    var storage = pageStorage(), saved = storage && storage.getItem(kind + location.pathname);
    try { return saved ? JSON.parse(saved) : null; } catch (e) { return null; }
  }
  function drop(kind) {
    var storage = pageStorage();
    if (storage) { storage.removeItem(kind + location.pathname); }
  }

  function keepDraftAcrossLanguages(form) {
    var draft = kept(DRAFT);
    if (draft) {
      drop(DRAFT);
      restoreFields(form, draft);
    }
    document.querySelectorAll("a[data-switch-language]").forEach(function (link) {
      link.addEventListener("click", function () { keep(DRAFT, form); });
    });
  }

  // A section is saved with fetch, so that a save that fails (no network, the server or its
  // database down: 5xx) leaves the page as it is, with everything typed, and says that nothing
  // was saved yet (the page's own translated notice). The answers are kept in sessionStorage
  // until a save succeeds: a reload shows them again. They are sent again when the browser is
  // back online, or at the next press. Any other answer is shown as a plain POST would show it:
  // the next page after a save, the page with its error messages otherwise.
  var WAIT_MS = 30000;
  function saveWithoutLeaving(form) {
    var notice = document.querySelector("[data-unsaved-notice]");
    if (!notice || !window.fetch || !window.URLSearchParams) { return; }
    var sending = false, waiting = false, submitter = null;
    var root = document.documentElement;
    function unsaved() {
      sending = false;
      root.removeAttribute("data-saving");
      waiting = true;
      keep(UNSAVED, form);
      notice.hidden = false;
      notice.focus();
    }
    function shown(response) {
      if (response.redirected) {
        drop(UNSAVED);
        location.assign(response.url);
      } else if (response.status >= 500) {
        unsaved();
      } else {
        if (response.ok) { drop(UNSAVED); }
        return response.text().then(function (html) {
          document.open();
          document.write(html);
          document.close();
        });
      }
    }
    function send() {
      if (sending) { return; }
      sending = true;
      root.setAttribute("data-saving", "");  // until the answer is shown (the tests wait on it)
      var body, abort = window.AbortController ? new AbortController() : null;
      try { body = new FormData(form, submitter); } catch (e) { body = new FormData(form); }
      if (abort) { window.setTimeout(function () { abort.abort(); }, WAIT_MS); }
      // The header: the page a save redirects to is only located here, then shown by a GET.
      fetch(form.action, {
        method: "POST", body: new URLSearchParams(body), credentials: "same-origin",
        headers: { "X-Survey-Location-Only": "1" }, redirect: "follow",
        signal: abort ? abort.signal : undefined
      }).then(shown).catch(unsaved);
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      submitter = event.submitter || null;
      send();
    });
    ["input", "change"].forEach(function (name) {
      form.addEventListener(name, function () { if (waiting) { keep(UNSAVED, form); } });
    });
    window.addEventListener("online", function () {
      if (waiting && document.contains(form)) { send(); }
    });
    var earlier = kept(UNSAVED);
    if (earlier) {
      restoreFields(form, earlier);
      waiting = true;
      notice.hidden = false;
    }
  }

  // Degrees with at most the six digits after the point the server accepts ("12.34567").
  function degrees(value) { return String(Number(value.toFixed(6))); }

  function locationButtons() {
    if (!navigator.geolocation) { return; }
    document.querySelectorAll("[data-locate]").forEach(function (box) {
      var status = box.querySelector(".locate-status");
      var boxes = [box.getAttribute("data-latitude"), box.getAttribute("data-longitude")]
        .map(function (id) { return document.getElementById(id); });
      box.hidden = false;
      box.querySelector("button").addEventListener("click", function () {
        status.textContent = box.getAttribute("data-locating");
        navigator.geolocation.getCurrentPosition(function (position) {
          boxes[0].value = degrees(position.coords.latitude);
          boxes[1].value = degrees(position.coords.longitude);
          boxes.forEach(function (input) {
            input.dispatchEvent(new Event("input", { bubbles: true }));  // conditions decide again
          });
          status.textContent = box.getAttribute("data-located");
        }, function () {
          status.textContent = box.getAttribute("data-failed");
        }, { enableHighAccuracy: true, timeout: 30000, maximumAge: 60000 });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var section = document.querySelector("form[data-answers]");
    if (section) {
      saveWithoutLeaving(section);
      keepDraftAcrossLanguages(section);
    }
    locationButtons();
    document.querySelectorAll("form").forEach(function (form) {
      if (!form.querySelector("[data-relevant], [data-follows], [data-other-of]")) { return; }
      refresh(form);
      form.addEventListener("change", function () { refresh(form); });
      form.addEventListener("input", function () { refresh(form); });
    });
    var summary = document.querySelector("[data-error-summary]");
    if (summary) { summary.focus(); }
    document.querySelectorAll("[data-submit-once]").forEach(function (button) {
      button.form.addEventListener("submit", function (event) {
        if (button.form.dataset.sent) { event.preventDefault(); return; }
        button.form.dataset.sent = "1";
      });
    });
    localTimes();
    countdowns();
  });
}());
