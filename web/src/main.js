// The playground page of `archlang serve`: a CodeMirror 6 editor on the left; on the right the
// tables, drawings and diagnostics of the spec, re-checked by the server after each edit.
import { EditorView, basicSetup } from "codemirror";
import { hoverTooltip, keymap } from "@codemirror/view";
import { indentWithTab } from "@codemirror/commands";
import { StreamLanguage } from "@codemirror/language";
import { linter, lintGutter } from "@codemirror/lint";
import { archlang } from "./language.js";

const $ = (id) => document.getElementById(id);

async function post(url, text) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ text }),
  });
  const data = await res.json();
  if (!res.ok) throw new Error(data.error || res.statusText);
  return data;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) node.append(c);
  return node;
}

let view;

function jumpTo(from) {
  const pos = Math.min(from, view.state.doc.length);
  view.dispatch({ selection: { anchor: pos }, scrollIntoView: true });
  view.focus();
}

function showDiagnostics(diagnostics) {
  const box = $("diagnostics");
  box.replaceChildren();
  $("diag-count").textContent = diagnostics.length ? `(${diagnostics.length})` : "";
  if (!diagnostics.length) box.append(el("p", { class: "none" }, "None: every model checks."));
  for (const d of diagnostics) {
    const pre = el("pre", { class: `diagnostic ${d.severity}`, title: "click to go there" }, d.rendered);
    pre.addEventListener("click", () => jumpTo(d.from));
    box.append(pre);
  }
}

function showModels(models) {
  const box = $("models");
  box.replaceChildren();
  for (const m of models) {
    const head = el("h2", {}, `${m.name}`);
    head.append(el("span", { class: "summary" }, m.ok
      ? ` ${m.input} → ${m.output} · ${m.params.toLocaleString("en")} parameters · ${m.macs.toLocaleString("en")} MACs`
      : " has errors"));
    const section = el("section", { class: "model", "data-model": m.name }, head);
    if (m.table) section.append(el("pre", { class: "table" }, m.table));
    if (m.svg) {
      const drawing = el("div", { class: "drawing" });
      drawing.innerHTML = m.svg.slice(m.svg.indexOf("<svg"));
      section.append(drawing);
    }
    box.append(section);
  }
}

function setStatus(text, bad = false) {
  $("status").textContent = text;
  $("status").className = bad ? "bad" : "";
}

const check = linter(async (v) => {
  const text = v.state.doc.toString();
  const started = performance.now();
  let data;
  try {
    data = await post("/api/check", text);
  } catch (err) {
    setStatus(`not checked: ${err.message}`, true);
    return [];
  }
  if (v.state.doc.toString() !== text) return [];   // typed on meanwhile: a newer check comes
  showModels(data.models);
  showDiagnostics(data.diagnostics);
  const errors = data.diagnostics.filter((d) => d.severity === "error").length;
  setStatus(`${errors ? `${errors} error${errors > 1 ? "s" : ""}` : "ok"} · checked in ${Math.round(performance.now() - started)} ms`, errors > 0);
  const len = v.state.doc.length;
  return data.diagnostics.map((d) => ({
    from: Math.min(d.from, len),
    to: Math.min(Math.max(d.to, d.from + 1), len),
    severity: d.severity === "warning" ? "warning" : "error",
    source: d.code,
    message: d.message + (d.label ? ` (${d.label})` : "") + (d.help ? `\nhelp: ${d.help}` : ""),
  }));
}, { delay: 250 });

// Markdown as the language server writes it: **bold**, `code`, --- rules, blank-line breaks.
function markdown(text) {
  const esc = text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  return esc.split("\n\n---\n\n").map((part) => part
    .replace(/\*\*(.+?)\*\*/g, "<b>$1</b>").replace(/`([^`]+)`/g, "<code>$1</code>")
    .replace(/\n\n/g, "<br>")).join("<hr>");
}

const layerHover = hoverTooltip(async (v, pos) => {
  const res = await fetch("/api/hover", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ text: v.state.doc.toString(), offset: pos }),
  });
  if (!res.ok) return null;
  const data = await res.json();
  if (!data.markdown) return null;
  return {
    pos: Math.min(data.from, v.state.doc.length),
    end: Math.min(data.to, v.state.doc.length),
    create() {
      const dom = el("div", { class: "layer-hover" });
      dom.innerHTML = markdown(data.markdown);
      return { dom };
    },
  };
}, { hoverTime: 350 });

function load(text) {
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
}

async function loadExamples() {
  const specs = await (await fetch("/api/specs")).json();
  const bar = $("examples");
  const groups = {};
  for (const s of specs) (groups[s.group] ||= []).push(s);
  for (const [group, items] of Object.entries(groups)) {
    const g = el("span", { class: "group" }, el("b", {}, group));
    for (const s of items) {
      const b = el("button", { type: "button", "data-path": s.path }, s.name);
      b.addEventListener("click", async () => {
        const spec = await (await fetch(`/api/spec?path=${encodeURIComponent(s.path)}`)).json();
        $("filename").textContent = spec.name;
        load(spec.text);
      });
      g.append(b);
    }
    bar.append(g);
  }
}

async function download() {
  setStatus("generating PyTorch code…");
  try {
    const data = await post("/api/compile", view.state.doc.toString());
    if (!data.source) {
      showDiagnostics(data.diagnostics);
      setStatus("fix the errors first", true);
      return;
    }
    const first = document.querySelector(".model[data-model]");
    const name = first ? first.dataset.model : "model";
    const a = el("a", { href: URL.createObjectURL(new Blob([data.source], { type: "text/x-python" })), download: `${name}.py` });
    document.body.append(a);
    a.click();
    a.remove();
    setStatus(`downloaded ${name}.py`);
  } catch (err) {
    setStatus(`no code: ${err.message}`, true);
  }
}

async function format() {
  try {
    const data = await post("/api/format", view.state.doc.toString());
    if (data.text !== undefined && data.text !== view.state.doc.toString()) load(data.text);
  } catch (err) {
    setStatus(`not formatted: ${err.message}`, true);
  }
}

async function main() {
  view = new EditorView({
    parent: $("editor"),
    extensions: [basicSetup, keymap.of([indentWithTab]), StreamLanguage.define(archlang),
      check, lintGutter(), layerHover, EditorView.lineWrapping],
  });
  window.archlangEditor = view;      // for tests and the console
  $("download").addEventListener("click", download);
  $("format").addEventListener("click", format);
  await loadExamples();
  const initial = await (await fetch("/api/initial")).json();
  if (initial.text !== null) {
    $("filename").textContent = initial.name;
    load(initial.text);
  } else {
    const spec = await (await fetch("/api/spec?path=book%2Fmodel2.arch")).json().catch(() => null);
    if (spec && spec.text) {
      $("filename").textContent = spec.name;
      load(spec.text);
    }
  }
}

main();
