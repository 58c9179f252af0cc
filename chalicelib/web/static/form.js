/* Homeward report form: checks as people type, a draft that survives a reload, uploads.
   Everything here is an enhancement: the form works and is validated on the server
   without it. The draft lives in sessionStorage, not localStorage, so it is gone when
   the tab is closed: a phone that is checked later shows nothing. */
(function () {
  "use strict";
  var DRAFT = "homeward-draft";
  document.documentElement.classList.add("js");
  Array.prototype.forEach.call(document.querySelectorAll(".js-only"), function (el) {
    el.hidden = false;
  });

  function store() {
    try { return window.sessionStorage; } catch (e) { return null; }
  }

  /* -- exit this page (GOV.UK's pattern): the button, or Shift pressed three times ----- */
  var exit = document.getElementById("exit-this-page");
  function leave(e) {
    if (e) e.preventDefault();
    var s = store();
    if (s) s.removeItem(DRAFT);
    document.body.hidden = true;
    // replace(): this page's place in the history goes too, so Back does not return here.
    window.location.replace(exit.href);
  }
  if (exit) {
    exit.addEventListener("click", leave);
    var shifts = 0, shiftTimer = null;
    document.addEventListener("keyup", function (e) {
      if (e.key !== "Shift") return;
      shifts++;
      clearTimeout(shiftTimer);
      // Three presses close together, as GOV.UK counts them (a second apart at most).
      shiftTimer = setTimeout(function () { shifts = 0; }, 1000);
      if (shifts >= 3) leave();
    });
  }

  /* -- withdrawal: nothing is sent without the tick ------------------------------- */
  var withdraw = document.getElementById("withdraw");
  if (withdraw) {
    withdraw.addEventListener("submit", function (e) {
      var confirm = document.getElementById("confirm");
      var error = document.getElementById("confirm-error");
      if (confirm.checked) return;
      e.preventDefault();
      error.hidden = false;
      confirm.closest(".field").classList.add("invalid");
      confirm.setAttribute("aria-invalid", "true");
      confirm.focus();
    });
    return;
  }

  if (document.querySelector("[data-clear-draft]")) {
    var s = store();
    if (s) s.removeItem(DRAFT);
    return;
  }
  var form = document.getElementById("report");
  if (!form) return;
  var msg = form.dataset;
  var SKIP = { website: 1, lang: 1, upload: 1, file: 1 };
  // Files go straight to the bucket from here: the answers are sent alone, as before, and
  // the control for a browser without JavaScript sends nothing.
  var nojsFiles = document.getElementById("files-nojs");
  if (nojsFiles) {
    nojsFiles.disabled = true;
    form.enctype = "application/x-www-form-urlencoded";
  }

  /* -- draft ------------------------------------------------------------------- */
  function snapshot() {
    var data = { fields: {}, files: uploads.slice() };
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || SKIP[el.name]) return;
      if (el.type === "radio" || el.type === "checkbox") {
        if (el.checked) data.fields[el.name] = el.value;
        else if (el.type === "checkbox") data.fields[el.name] = "";
      } else {
        data.fields[el.name] = el.value;
      }
    });
    return data;
  }
  var saveTimer = null;
  function save() {
    clearTimeout(saveTimer);
    saveTimer = setTimeout(function () {
      var s = store();
      if (s) s.setItem(DRAFT, JSON.stringify(snapshot()));
    }, 200);
  }
  function restore(data) {
    Object.keys(data.fields || {}).forEach(function (name) {
      var value = data.fields[name];
      Array.prototype.forEach.call(form.elements, function (el) {
        if (el.name !== name) return;
        if (el.type === "radio") el.checked = el.value === value;
        else if (el.type === "checkbox") el.checked = !!value;
        else el.value = value;
      });
    });
    (data.files || []).forEach(addUploaded);
    Array.prototype.forEach.call(form.querySelectorAll("fieldset.date"), function (group) {
      inWords(group.dataset.field);
    });
  }

  /* -- dates: day, month, year (as the server reads them, web/form_dates.py) -------- */
  var words = {};
  try { words = JSON.parse(form.dataset.words || "{}"); } catch (e) { words = {}; }
  var DAY_FIRST = /^\s*(\d{1,2})\s*[.\/\-\s]\s*(\d{1,2})\s*[.\/\-\s]\s*(\d{2,4})\s*\.?\s*$/;
  var YEAR_FIRST = /^\s*(\d{4})\s*[.\/\-\s]\s*(\d{1,2})\s*[.\/\-\s]\s*(\d{1,2})\s*$/;
  function dateGroup(name) {
    return form.querySelector('fieldset.date[data-field="' + name + '"]');
  }
  function dateParts(name) {
    return { day: val(name + ".day"), month: val(name + ".month"), year: val(name + ".year") };
  }
  // A whole date typed into the day's box goes into the three boxes, day first.
  function splitWhole(name) {
    var p = dateParts(name);
    if (!p.day || p.month || p.year) return;
    var m = YEAR_FIRST.exec(p.day), d;
    if (m) d = [m[3], m[2], m[1]];
    else if ((m = DAY_FIRST.exec(p.day))) d = [m[1], m[2], m[3]];
    if (!d) return;
    form.elements[name + ".day"].value = String(Number(d[0]));
    form.elements[name + ".month"].value = String(Number(d[1]));
    form.elements[name + ".year"].value = d[2];
  }
  // What the parts make: {date: Date} or {year: n} or {error: message} or {} for nothing.
  function dateOf(name) {
    var p = dateParts(name), yearOnly = dateGroup(name).dataset.date === "year";
    if (!p.day && !p.month && !p.year) return {};
    if (p.year && !/^\d{4}$/.test(p.year)) return { error: msg.msgYear };
    if (!p.day && !p.month) return yearOnly ? { year: Number(p.year) } : { error: msg.msgWhole };
    if (!p.day || !p.month || !p.year) return { error: yearOnly ? msg.msgWholeOrYear : msg.msgWhole };
    if (!/^\d{1,2}$/.test(p.day)) return { error: msg.msgDay };
    var y = Number(p.year), mo = Number(p.month), d = Number(p.day);
    var date = new Date(Date.UTC(y, mo - 1, d));
    if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d)
      return { error: msg.msgNoDate };
    return { date: date };
  }
  function inWords(name) {
    var out = document.getElementById(name.replace(/\./g, "-") + "-words");
    if (!out || !words.months) return;
    var got = dateOf(name);
    out.textContent = got.date ? words.date.replace("{day}", got.date.getUTCDate())
      .replace("{month}", words.months[got.date.getUTCMonth()])
      .replace("{year}", got.date.getUTCFullYear()) : "";
  }

  /* -- checks ------------------------------------------------------------------ */
  function val(name) {
    var el = form.elements[name];
    if (!el) return "";
    return (el.value || "").trim();
  }
  function tomorrow() {
    var d = new Date();
    d.setDate(d.getDate() + 1);
    return d;
  }
  // The field a control belongs to: a date's parts belong to their date.
  function fieldOf(name) {
    var parts = /^(.*)\.(day|month|year)$/.exec(name);
    return parts && dateGroup(parts[1]) ? parts[1] : name;
  }
  function check(name) {
    if (dateGroup(name)) {
      var got = dateOf(name);
      if (got.error) return got.error;
      if (got.date && got.date > tomorrow()) return msg.msgFuture;
      if (got.year && got.year > new Date().getFullYear()) return msg.msgFuture;
      if (dateGroup(name).dataset.required && !got.date && !got.year)
        return touched.all ? msg.msgBirth : "";
      return "";
    }
    var v = val(name);
    var el = form.elements[name];
    var required = el && (el.required || (el[0] && el[0].required));
    // In the field's own words, the server's (form_fields.Field.missing).
    if (required && !v) {
      var box = form.querySelector('[data-field="' + name + '"][data-missing]');
      return box ? box.dataset.missing : "";
    }
    // Loose on purpose: the server reads the number (national or international) and
    // knows which exist; this only catches what cannot be a number at all.
    var digits = v.replace(/[\s\-().\u00a0]/g, "");
    if (name === "reporter.phone" && v && !/^(\+|00)?\d{7,15}$/.test(digits)) return msg.msgPhone;
    if (name === "reporter.email" && v && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v)) return msg.msgEmail;
    if (name === "reporter.email" && !v && !val("reporter.phone") && val("reporter.may_contact") === "yes")
      return touched.all ? msg.msgContact : "";
    return "";
  }
  function show(name, text) {
    var id = name.replace(/\./g, "-");
    var error = document.getElementById(id + "-error");
    var control = document.getElementById(id);
    if (!error || !control) return;
    error.textContent = text;
    error.hidden = !text;
    var box = control.closest(".field") || control;
    box.classList.toggle("invalid", !!text);
    var controls = control.tagName === "FIELDSET" ? control.querySelectorAll("input:not([type=radio]),select") : [control];
    Array.prototype.forEach.call(controls, function (c) {
      if (text) c.setAttribute("aria-invalid", "true");
      else c.removeAttribute("aria-invalid");
    });
    // As the server writes it: the help, then the error, then (a date) its words.
    var ids = (control.getAttribute("aria-describedby") || "").split(" ").filter(function (x) {
      return x && x !== id + "-error";
    });
    if (text) ids.splice(ids.indexOf(id + "-help") + 1, 0, id + "-error");
    if (ids.length) control.setAttribute("aria-describedby", ids.join(" "));
    else control.removeAttribute("aria-describedby");
  }
  var touched = { all: false };
  var names = [];
  Array.prototype.forEach.call(form.elements, function (el) {
    if (!el.name || SKIP[el.name] || el.type === "hidden") return;
    var name = fieldOf(el.name);
    if (names.indexOf(name) < 0) names.push(name);
  });
  function validate(name) {
    show(name, check(name));
    if (name === "reporter.phone" || name === "reporter.may_contact")
      show("reporter.email", check("reporter.email"));
  }
  form.addEventListener("focusout", function (e) {
    if (!e.target.name || SKIP[e.target.name]) return;
    var name = fieldOf(e.target.name);
    if (name !== e.target.name) {
      splitWhole(name);
      inWords(name);
      // A date is checked once its group is left, not between its boxes.
      if (e.relatedTarget && e.relatedTarget.closest && e.relatedTarget.closest("fieldset.date") === dateGroup(name)) return;
    }
    e.target.dataset.touched = "1";
    validate(name);
  });
  form.addEventListener("input", function (e) {
    save();
    var name = fieldOf(e.target.name || "");
    if (name !== e.target.name) inWords(name);
    if (e.target.dataset.touched) validate(name);
  });
  form.addEventListener("change", function (e) {
    save();
    var name = fieldOf(e.target.name || "");
    if (name !== e.target.name) inWords(name);
    if (e.target.type === "radio" || e.target.type === "checkbox") validate(name);
  });

  /* -- the error summary (GOV.UK's pattern, as the server sends it) -------------- */
  var summary = document.getElementById("error-summary");
  function label(name) {
    var control = document.getElementById(name.replace(/\./g, "-"));
    if (!control) return "";
    var el = control.tagName === "FIELDSET" ? control.querySelector("legend") : form.querySelector('label[for="' + control.id + '"]');
    return el ? el.textContent.replace(/\s*\*\s*$/, "").trim() : "";
  }
  function showSummary(found) {
    var list = summary.querySelector("ul");
    list.textContent = "";
    found.forEach(function (item) {
      var id = item.name.replace(/\./g, "-");
      var target = dateGroup(item.name) ? id + "-day" : id;
      var text = label(item.name);
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = "#" + target;
      a.textContent = text ? text + (/\?$/.test(text) ? " " : ": ") + item.text : item.text;
      a.addEventListener("click", function (e) {
        e.preventDefault();
        var el = document.getElementById(target);
        if (el) {
          el.scrollIntoView({ block: "center" });
          el.focus();
        }
      });
      li.appendChild(a);
      list.appendChild(li);
    });
    summary.hidden = found.length === 0;
    // "Error: ..." in the title, as the server's page with errors has it.
    var prefix = msg.msgErrorTitle + " ";
    var title = document.title.indexOf(prefix) === 0 ? document.title.slice(prefix.length) : document.title;
    document.title = found.length ? prefix + title : title;
    if (found.length) summary.focus();
  }
  if (summary && !summary.hidden) summary.focus();

  /* -- sending ------------------------------------------------------------------- */
  var sending = false;
  var button = form.querySelector("button.send");
  var status = document.getElementById("sending");
  form.addEventListener("submit", function (e) {
    // A second tap sends nothing new (the form key makes it a replay anyway).
    if (sending) {
      e.preventDefault();
      return;
    }
    // A language button sends the answers to come back in another language, unchecked.
    if (e.submitter && e.submitter.name === "switch_lang") return;
    touched.all = true;
    var found = [];
    names.forEach(function (name) {
      if (dateGroup(name)) splitWhole(name);
      var text = check(name);
      show(name, text);
      if (text) found.push({ name: name, text: text });
    });
    if (busy > 0) {
      e.preventDefault();
      return;
    }
    if (found.length) {
      e.preventDefault();
      showSummary(found);
      return;
    }
    sending = true;
    button.setAttribute("aria-disabled", "true");
    button.classList.add("busy");
    status.textContent = msg.msgSending;
    status.hidden = false;
  });
  // Back from the receipt (a page kept in memory): the form can be sent again, but what
  // it held is gone once the draft is (the receipt clears it): nothing of a sent report
  // comes back on Back.
  window.addEventListener("pageshow", function (e) {
    var s = store();
    if (e.persisted && s && !s.getItem(DRAFT)) {
      form.reset();
      uploads = [];
      if (list) list.textContent = "";
      Array.prototype.forEach.call(form.querySelectorAll('input[name="upload"]'), function (el) { el.remove(); });
    }
    sending = false;
    button.removeAttribute("aria-disabled");
    button.classList.remove("busy");
    status.hidden = true;
  });

  document.getElementById("clear-draft").addEventListener("click", function () {
    var s = store();
    if (s) s.removeItem(DRAFT);
    // Relative to the page, as every URL it uses (pages.root): under a stage path too.
    window.location.href = form.dataset.home + "?lang=" + encodeURIComponent(form.elements.lang.value);
  });

  /* -- uploads ----------------------------------------------------------------- */
  var uploads = [];
  var busy = 0;
  var picker = document.getElementById("files");
  var list = document.getElementById("file-list");
  var TYPES = { heic: "image/heic", heif: "image/heic", jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png", pdf: "application/pdf" };

  function hidden(slot) {
    return form.querySelector('input[name="upload"][value="' + slot + '"]');
  }
  function addUploaded(item) {
    if (!list || hidden(item.slot)) return;
    uploads.push(item);
    var input = document.createElement("input");
    input.type = "hidden";
    input.name = "upload";
    input.value = String(item.slot);
    form.appendChild(input);
    var li = document.createElement("li");
    var label = document.createElement("span");
    label.textContent = item.name + " · " + msg.msgUploaded;
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "link";
    remove.textContent = msg.msgRemove;
    remove.addEventListener("click", function () {
      input.remove();
      li.remove();
      uploads = uploads.filter(function (u) { return u.slot !== item.slot; });
      save();
    });
    li.appendChild(label);
    li.appendChild(remove);
    list.appendChild(li);
  }
  function freeSlot() {
    for (var slot = 1; slot <= Number(picker.dataset.max); slot++) {
      if (!hidden(slot) && pending.indexOf(slot) < 0) return slot;
    }
    return 0;
  }
  var pending = [];
  function upload(file) {
    var type = file.type || TYPES[(file.name.split(".").pop() || "").toLowerCase()] || "";
    var slot = freeSlot();
    var li = document.createElement("li");
    li.textContent = file.name + " · " + msg.msgUploading;
    list.appendChild(li);
    function failed(why) {
      li.textContent = file.name + " · " + (why === "heic" ? msg.msgHeic : msg.msgUploadFailed);
      pending = pending.filter(function (s) { return s !== slot; });
    }
    // HEIC is refused on the server too (domain/attachments.py), in the same words.
    if (type === "image/heic") {
      failed("heic");
      return;
    }
    var accepted = /^(image\/(jpeg|png)|application\/pdf)$/.test(type);
    if (!slot || !accepted || file.size > Number(picker.dataset.maxBytes)) {
      failed();
      return;
    }
    pending.push(slot);
    busy++;
    fetch(form.dataset.uploads, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ submission_key: form.elements.submission_key.value, slot: slot, content_type: type, size: file.size })
    }).then(function (r) {
      if (!r.ok) throw new Error("refused");
      return r.json();
    }).then(function (grant) {
      var data = new FormData();
      Object.keys(grant.fields).forEach(function (k) { data.append(k, grant.fields[k]); });
      data.append("file", file);
      return fetch(grant.url, { method: "POST", body: data, mode: "cors", credentials: "omit", referrerPolicy: "no-referrer" });
    }).then(function (r) {
      if (!r.ok) throw new Error("upload");
      li.remove();
      pending = pending.filter(function (s) { return s !== slot; });
      addUploaded({ slot: slot, name: file.name });
      save();
    }).catch(failed).then(function () { busy--; });
  }
  if (picker) {
    picker.addEventListener("change", function () {
      Array.prototype.forEach.call(picker.files, upload);
      picker.value = "";
    });
  }

  /* -- start ------------------------------------------------------------------- */
  var s = store();
  var saved = null;
  try { saved = s && JSON.parse(s.getItem(DRAFT) || "null"); } catch (e) { saved = null; }
  // A fresh form is saved once something is typed, never as it loads: a page the browser
  // restored after sending must not put the sent report back into the tab's storage.
  // A form the server sent back (with errors) holds answers already: they are kept.
  if (msg.fresh === "1") {
    if (saved) restore(saved);
  } else save();
})();
