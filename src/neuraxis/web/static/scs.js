/* neuraxis web: the SCS programming workspace.
 *
 * Draws the program on the lead (the SVG comes from the server, to scale), and calls the
 * JSON API (/api/scs/...): a new program shape -> POST .../evaluate (a background job whose
 * progress fragment htmx polls), a new amplitude -> GET .../results/{rid}?amplitude_ma=
 * (milliseconds) and the two figures. No model logic here: every number comes from the
 * server. Text is set with textContent only (no HTML from data).
 */
(function () {
  "use strict";

  const CSRF_HEADER = "X-CSRF-Token";
  const SHAPE_DELAY_MS = 350;
  const AMPLITUDE_DELAY_MS = 120;
  let S = null; // the state of the workspace on the page

  function csrf() {
    try {
      const h = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
      return h[CSRF_HEADER] || "";
    } catch (e) { return ""; }
  }

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function fmt(v, digits) {
    if (v === null || v === undefined) return "n/a";
    return Number(v).toFixed(digits === undefined ? 2 : digits);
  }

  async function api(method, url, body) {
    const opts = { method: method, headers: { "Accept": "application/json" }, credentials: "same-origin" };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.headers[CSRF_HEADER] = csrf();
      opts.body = JSON.stringify(body);
    }
    const r = await fetch(url, opts);
    let data = null;
    try { data = await r.json(); } catch (e) { data = { message: "No JSON answer (" + r.status + ")" }; }
    return { status: r.status, data: data };
  }

  function showError(message) {
    const box = document.getElementById("scs-program-error");
    if (!box) return;
    box.textContent = message || "";
    box.hidden = !message;
  }

  // ------------------------------------------------------------ program state
  function polarity(f) { return f < 0 ? "cathode" : (f > 0 ? "anode" : "off"); }

  function defaultFractions() {
    // cathodes share -1, anodes share +1 (none: monopolar, the case is the anode)
    const cath = S.names.filter(n => S.fractions[n] < 0);
    const anod = S.names.filter(n => S.fractions[n] > 0);
    for (const n of cath) S.fractions[n] = -1 / cath.length;
    for (const n of anod) S.fractions[n] = 1 / anod.length;
  }

  function cycle(name) {
    const p = polarity(S.fractions[name] || 0);
    S.fractions[name] = p === "off" ? -1 : (p === "cathode" ? 1 : 0);
    defaultFractions();
    render();
    scheduleShape();
  }

  function program() {
    const contacts = {};
    for (const n of S.names) if (S.fractions[n]) contacts[n] = S.fractions[n];
    return {
      contacts: contacts,
      amplitude_ma: S.amplitude,
      pulse_width_us: Number(document.getElementById("scs-pulse-width").value),
      rate_hz: Number(document.getElementById("scs-rate").value),
      waveform: document.getElementById("scs-waveform").value,
    };
  }

  function render() {
    for (const g of document.querySelectorAll("#scs-lead .contact")) {
      const n = g.getAttribute("data-contact");
      const p = polarity(S.fractions[n] || 0);
      g.setAttribute("class", "contact " + p);
      g.setAttribute("aria-label", n + ": " + p);
      g.querySelector("text.sign").textContent = p === "cathode" ? "−" : (p === "anode" ? "+" : "");
    }
    const body = document.querySelector("#scs-fractions tbody");
    body.replaceChildren();
    const active = S.names.filter(n => S.fractions[n]);
    for (const n of active) {
      const tr = el("tr", { "data-contact": n });
      tr.append(el("td", {}, n), el("td", { class: polarity(S.fractions[n]) }, polarity(S.fractions[n])));
      const input = el("input", { type: "number", step: "0.05", min: "-1", max: "1", "aria-label": "Fraction of " + n, id: "scs-fraction-" + n });
      input.value = String(Math.round(S.fractions[n] * 1e4) / 1e4);
      input.addEventListener("change", () => {
        const v = Number(input.value);
        S.fractions[n] = Number.isFinite(v) ? v : 0;
        render();
        scheduleShape();
      });
      const td = el("td");
      td.append(input);
      tr.append(td);
      body.append(tr);
    }
    if (!active.length) {
      const tr = el("tr");
      tr.append(el("td", { colspan: "3", class: "note" }, "No active contact: click a contact on the lead to make it a cathode."));
      body.append(tr);
    }
    const sum = active.reduce((a, n) => a + S.fractions[n], 0);
    document.getElementById("scs-kind").textContent = active.length ?
      (Math.abs(sum) < 1e-6 ? "Bipolar: the anodes on the lead return the current." :
        (Math.abs(sum + 1) < 1e-6 ? "Monopolar: the pulse generator's case is the anode." :
          "Fractions sum to " + sum.toFixed(3) + ": they must sum to 0 (bipolar) or -1 (monopolar).")) : "";
    const amp = document.getElementById("scs-amplitude");
    const slider = document.getElementById("scs-amplitude-slider");
    if (document.activeElement !== amp) amp.value = String(S.amplitude);
    slider.value = String(S.amplitude);
  }

  // ------------------------------------------------------------ shape: a background job
  function scheduleShape() {
    clearTimeout(S.shapeTimer);
    S.shapeTimer = setTimeout(evaluate, SHAPE_DELAY_MS);
  }

  async function evaluate() {
    const prog = program();
    if (!Object.values(prog.contacts).some(v => v < 0)) return;
    showError("");
    if (S.job && !S.jobFinal) api("POST", "/api/scs/jobs/" + S.job + "/cancel", {});
    const seq = ++S.shapeSeq;
    const r = await api("POST", "/api/scs/sessions/" + S.key + "/evaluate", prog);
    if (seq !== S.shapeSeq) return; // a newer shape was asked for meanwhile
    if (r.status === 404) { showError(r.data.message); return; }
    if (r.status >= 400) { showError(r.data.message || ("Error " + r.status)); return; }
    S.pendingRid = r.data.result_id;
    if (!r.data.job) { S.job = null; S.rid = r.data.result_id; loadResult(); return; }
    S.job = r.data.job.id;
    S.jobFinal = false;
    const box = document.getElementById("scs-eval-status");
    const div = el("div", { "hx-get": "/scs/jobs/" + S.job, "hx-trigger": "load", "hx-swap": "outerHTML" });
    box.replaceChildren(div);
    if (window.htmx) window.htmx.process(div);
  }

  function onJobFragment() {
    if (!S || !S.job) return;
    const frag = document.querySelector('#scs-eval-status [data-job-id="' + S.job + '"]');
    if (!frag) return;
    const st = frag.getAttribute("data-job-state");
    if (st === "done" || st === "failed" || st === "cancelled") S.jobFinal = true;
    if (st === "done" && frag.getAttribute("data-result-id") === S.pendingRid) {
      S.rid = S.pendingRid;
      loadResult();
    }
  }

  // ------------------------------------------------------------ amplitude: milliseconds
  function setAmplitude(v, immediate) {
    const a = Number(v);
    if (!Number.isFinite(a)) return;
    S.amplitude = a;
    render();
    clearTimeout(S.ampTimer);
    if (!S.rid) return;
    S.t0 = performance.now();
    if (immediate) loadResult(); else S.ampTimer = setTimeout(loadResult, AMPLITUDE_DELAY_MS);
  }

  async function loadResult() {
    if (!S.rid) return;
    const seq = ++S.ampSeq;
    const t0 = S.t0 || performance.now();
    S.t0 = null;
    const url = "/api/scs/sessions/" + S.key + "/results/" + S.rid + "?amplitude_ma=" + encodeURIComponent(S.amplitude);
    const r = await api("GET", url);
    if (seq !== S.ampSeq) return;
    if (r.status >= 400) { showError(r.data.message || ("Error " + r.status)); return; }
    showError("");
    const t1 = performance.now();
    renderMetrics(r.data);
    const ws = document.getElementById("scs-ws");
    ws.setAttribute("data-result-id", S.rid);
    ws.setAttribute("data-amplitude", String(r.data.program.amplitude_ma));
    // the body map first (what the clinician looks at), then the recruitment curve: the
    // server draws one figure at a time, so asking for both at once delays the body map
    const map = document.getElementById("scs-bodymap");
    const rec = document.getElementById("scs-recruitment");
    map.onload = () => {
      if (seq !== S.ampSeq) return;
      const t2 = performance.now();
      map.setAttribute("data-loaded", r.data.figures.bodymap);
      rec.onload = () => {
        if (seq !== S.ampSeq) return;
        rec.setAttribute("data-loaded", r.data.figures.recruitment);
        const t3 = performance.now();
        window.scsTimings = { metrics_ms: t1 - t0, bodymap_ms: t2 - t0, figures_ms: t3 - t0,
          amplitude_ma: r.data.program.amplitude_ma };
        ws.setAttribute("data-roundtrip-ms", (t2 - t0).toFixed(1));
      };
      rec.setAttribute("src", r.data.figures.recruitment);
    };
    map.setAttribute("src", r.data.figures.bodymap);
  }

  function row(tbody, label, value, detail, attrs) {
    const tr = el("tr", attrs || {});
    tr.append(el("th", {}, label));
    const td = el("td");
    td.append(el("strong", {}, value));
    if (detail) td.append(el("span", { class: "src" }, " · " + detail));
    tr.append(td);
    tbody.append(tr);
  }

  function renderMetrics(d) {
    const c = d.fiber_counts;
    const tb = el("tbody");
    const per = c.perception, dis = c.discomfort, at = c.at_program_amplitude;
    row(tb, "Perception threshold (PT)", d.perception_threshold_ma === null ? "not reached" : fmt(d.perception_threshold_ma) + " mA",
      (per ? per.sampled_fibers_firing + " of " + c.sampled_dc_fibers + " sampled DC fibers fire (" + fmt(per.real_fibers_firing, 1) + " real fibers); " : "") +
      "criterion " + c.perception_fibers + " real DC-initiated fibers", { id: "scs-pt", "data-value": d.perception_threshold_ma === null ? "" : d.perception_threshold_ma });
    row(tb, "Discomfort threshold (DT)", d.discomfort_threshold_ma === null ? "not reached" : fmt(d.discomfort_threshold_ma) + " mA",
      (dis ? "root " + dis.root + ": " + dis.sampled_afferents_firing + " of " + dis.sampled_afferents_in_root + " sampled afferents (" + fmt(dis.real_fibers_firing, 1) + " real fibers); " : "") +
      "criterion " + c.discomfort_fibers + " real fibers of one root", { id: "scs-dt", "data-value": d.discomfort_threshold_ma === null ? "" : d.discomfort_threshold_ma });
    row(tb, "Usable range (DT / PT)", d.usable_range === null ? "n/a" : fmt(d.usable_range), "", { id: "scs-usable" });
    if (d.dorsolateral_threshold_ma !== null && d.dorsolateral_threshold_ma !== undefined) {
      row(tb, "Dorsolateral column threshold (not perceived)", fmt(d.dorsolateral_threshold_ma) + " mA", c.sampled_dlc_fibers + " sampled DLC fibers");
    }
    row(tb, "Pain coverage at " + d.amplitude_ma + " mA", d.pain_coverage_pct === null ? "no pain map" : fmt(d.pain_coverage_pct, 0) + " %",
      at.dermatomes_felt + " dermatomes felt; " + at.sampled_afferents_firing + " sampled fibers fire (" + fmt(at.real_fibers_firing, 0) + " real)", { id: "scs-coverage" });
    row(tb, "Paresthesia outside the pain", d.paresthesia_outside_pain_pct === null ? "n/a" : fmt(d.paresthesia_outside_pain_pct, 0) + " %", "");
    row(tb, "DC fibers recruited", fmt(100 * d.dc_recruited_fraction, 1) + " %", "of " + fmt(c.real_dc_fibers, 0) + " real (" + c.sampled_dc_fibers + " sampled)");
    row(tb, "DR fibers recruited", fmt(100 * d.dr_recruited_fraction, 1) + " %", "of " + fmt(c.real_dr_fibers, 0) + " real (" + c.sampled_dr_afferents + " sampled afferents)");
    document.getElementById("scs-metrics").replaceChildren(tb);
    const st = d.amplitude_status;
    const box = document.getElementById("scs-amp-status");
    const cls = st.level === "warning" ? "scs-warning" : (st.level === "ok" ? "scs-ok" : "note warn");
    const div = el("div", { class: cls, "data-level": st.level, id: "scs-amp-message" }, st.message);
    box.replaceChildren(div);
    for (const s of d.side_effects || []) {
      box.append(el("div", { class: "src" }, "Dorsal root " + s.root + " from " + fmt(s.threshold_ma) + " mA: " + fmt(100 * s.fraction_recruited, 0) + " % of the root (" + fmt(s.real_fibers_firing, 0) + " real fibers), " + s.effect));
    }
  }

  // ------------------------------------------------------------ uncertainty sweep form
  function onSweepRequest(e) {
    // the sweep form sends the program set on the page (none without a cathode: the
    // server then says to set one)
    if (!S || !e.detail.elt || e.detail.elt.id !== "scs-sweep-form") return;
    const prog = program();
    e.detail.parameters["program"] = Object.values(prog.contacts).some(v => v < 0) ? JSON.stringify(prog) : "";
  }

  function sweepRuns() {
    const note = document.getElementById("scs-sweep-runs");
    const n = document.getElementById("scs-sweep-n");
    if (!note || !n) return;
    const k = document.querySelectorAll('#scs-sweep-form input[name="inputs"]:checked').length;
    const runs = Number(n.value) * (k + 2);
    note.textContent = k ? ("N × (inputs + 2) = " + n.value + " × " + (k + 2) + " = " + runs +
      " model runs, each a field solve and a threshold search." +
      (Number(n.value) === 1 ? " With N = 1: medians and intervals only (Sobol' indices need N ≥ 2)." : ""))
      : "Choose at least one input.";
    document.getElementById("scs-sweep-run").disabled = !k;
  }

  // ------------------------------------------------------------ set up
  function init(ws) {
    if (ws.getAttribute("data-ready") === "1") return;
    ws.setAttribute("data-ready", "1");
    const prog = JSON.parse(ws.getAttribute("data-program") || "null");
    S = {
      key: ws.getAttribute("data-session"), names: JSON.parse(ws.getAttribute("data-contacts")),
      fractions: {}, amplitude: prog ? prog.amplitude_ma : 1.0, rid: null, pendingRid: null,
      job: null, jobFinal: true, shapeSeq: 0, ampSeq: 0, shapeTimer: null, ampTimer: null, t0: null,
    };
    for (const n of S.names) S.fractions[n] = prog && prog.contacts[n] ? prog.contacts[n] : 0;
    for (const g of ws.querySelectorAll("#scs-lead .contact")) {
      const n = g.getAttribute("data-contact");
      g.addEventListener("click", () => cycle(n));
      g.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); cycle(n); } });
    }
    const amp = document.getElementById("scs-amplitude");
    amp.addEventListener("input", () => setAmplitude(amp.value, false));
    amp.addEventListener("change", () => setAmplitude(amp.value, true));
    const slider = document.getElementById("scs-amplitude-slider");
    slider.addEventListener("input", () => setAmplitude(slider.value, false));
    for (const id of ["scs-pulse-width", "scs-rate", "scs-waveform"]) {
      document.getElementById(id).addEventListener("change", scheduleShape);
    }
    const form = document.getElementById("scs-sweep-form");
    if (form) {
      form.addEventListener("change", sweepRuns);
      sweepRuns();
    }
    render();
    evaluate();
  }

  function scan() {
    const ws = document.getElementById("scs-ws");
    if (ws) init(ws);
    onJobFragment();
  }

  document.addEventListener("DOMContentLoaded", scan);
  document.addEventListener("htmx:afterSettle", scan);
  document.addEventListener("htmx:configRequest", onSweepRequest);
  if (document.readyState !== "loading") scan();
})();
