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

  if (document.querySelector("[data-clear-draft]")) {
    var s = store();
    if (s) s.removeItem(DRAFT);
    return;
  }
  var form = document.getElementById("report");
  if (!form) return;
  var msg = form.dataset;
  var SKIP = { website: 1, lang: 1, upload: 1 };

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
  }

  /* -- checks ------------------------------------------------------------------ */
  function val(name) {
    var el = form.elements[name];
    if (!el) return "";
    return (el.value || "").trim();
  }
  function today() {
    var d = new Date();
    d.setDate(d.getDate() + 1);
    return d.toISOString().slice(0, 10);
  }
  function check(name) {
    var v = val(name);
    var el = form.elements[name];
    var required = el && (el.required || (el[0] && el[0].required));
    if (required && !v) return msg.msgRequired;
    if (name === "reporter.phone" && v && !/^\+[1-9]\d{6,14}$/.test(v.replace(/[\s\-().\u00a0]/g, "")))
      return msg.msgPhone;
    if (name === "reporter.email" && v && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v)) return msg.msgEmail;
    if ((name === "child.date_of_birth" || name === "event.date") && v && v > today())
      return msg.msgFuture;
    if (name === "child.birth_year" && v && !/^\d{4}$/.test(v)) return msg.msgYear;
    if (name === "child.date_of_birth" && !v && !val("child.birth_year")) return touched.all ? msg.msgBirth : "";
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
    if (control.tagName !== "FIELDSET") {
      if (text) control.setAttribute("aria-invalid", "true");
      else control.removeAttribute("aria-invalid");
      var ids = (control.getAttribute("aria-describedby") || "").split(" ").filter(function (x) {
        return x && x !== id + "-error";
      });
      if (text) ids.push(id + "-error");
      if (ids.length) control.setAttribute("aria-describedby", ids.join(" "));
    }
  }
  var touched = { all: false };
  var names = [];
  Array.prototype.forEach.call(form.elements, function (el) {
    if (el.name && !SKIP[el.name] && el.type !== "hidden" && names.indexOf(el.name) < 0) names.push(el.name);
  });
  function validate(name) {
    show(name, check(name));
    if (name === "child.birth_year") show("child.date_of_birth", check("child.date_of_birth"));
    if (name === "reporter.phone" || name === "reporter.may_contact")
      show("reporter.email", check("reporter.email"));
  }
  form.addEventListener("focusout", function (e) {
    if (e.target.name && !SKIP[e.target.name]) {
      e.target.dataset.touched = "1";
      validate(e.target.name);
    }
  });
  form.addEventListener("input", function (e) {
    save();
    if (e.target.dataset.touched) validate(e.target.name);
  });
  form.addEventListener("change", function (e) {
    save();
    if (e.target.type === "radio" || e.target.type === "checkbox") validate(e.target.name);
  });

  var sending = false;
  form.addEventListener("submit", function (e) {
    touched.all = true;
    var first = null;
    names.forEach(function (name) {
      var text = check(name);
      show(name, text);
      if (text && !first) first = name;
    });
    if (busy > 0) {
      e.preventDefault();
      return;
    }
    if (first) {
      e.preventDefault();
      var target = document.getElementById(first.replace(/\./g, "-"));
      if (target) target.focus();
      return;
    }
    // A second tap sends nothing new (the submission key makes it a replay anyway).
    if (sending) e.preventDefault();
    sending = true;
    setTimeout(function () { sending = false; }, 10000);
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
    function failed() {
      li.textContent = file.name + " · " + msg.msgUploadFailed;
      pending = pending.filter(function (s) { return s !== slot; });
    }
    var accepted = /^(image\/(jpeg|png|heic)|application\/pdf)$/.test(type);
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
  if (msg.fresh === "1" && saved) restore(saved);
  else save();
})();
