namespace Sieve.Cli.Serve;

/// <summary>
/// The one-page web UI <c>sieve serve</c> answers at <c>GET /</c>: drop or pick an image, pick a task the model serves
/// and a reducer spec, and see the answer, the dense and reduced round trips with their multiply-adds, and the merge
/// map. Plain HTML and JavaScript over the same JSON endpoints as any client (no build step, nothing fetched elsewhere).
/// </summary>
internal static class ServeWebPage
{
    /// <summary>The page.</summary>
    public const string Html = """
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>sieve serve</title>
<link rel="icon" href="data:,">
<style>
  body { font: 15px system-ui, sans-serif; margin: 2em auto; max-width: 60em; padding: 0 1em; color: #222; }
  #drop { border: 2px dashed #999; border-radius: 8px; padding: 1.5em; text-align: center; cursor: pointer; }
  #drop.over { border-color: #06c; background: #eef5ff; }
  #preview { max-height: 10em; display: block; margin: .5em auto 0; }
  label { display: inline-block; margin: .6em 1em .2em 0; }
  input[type=text] { width: 18em; }
  table { border-collapse: collapse; margin-top: .8em; }
  td, th { padding: .2em .8em; border-bottom: 1px solid #ddd; text-align: right; }
  td:first-child, th:first-child { text-align: left; }
  #error { color: #b00; white-space: pre-wrap; }
  #mergemap { max-width: 100%; margin-top: .8em; }
  [hidden] { display: none !important; }
</style>
</head>
<body>
<h1>sieve serve</h1>
<p id="model">loading…</p>
<div id="drop">Drop an image here, or click to pick one<input id="file" type="file" accept="image/*" hidden><img id="preview" alt="" hidden></div>
<label>Task <select id="task"></select></label>
<label>Reducer <input id="reducer" type="text" placeholder="e.g. tome:r=8"></label>
<label id="labels-field" hidden>Labels <input id="labels" type="text" value="cat,dog,car"></label>
<label id="question-field" hidden>Question <input id="question" type="text" value="what is in the picture?"></label>
<label id="text-field" hidden>Text <input id="text" type="text" value="a photo of a cat"></label>
<label id="prompt-field" hidden>Prompt <input id="prompt" type="text" placeholder="e.g. a picture of"></label>
<button id="run" disabled>Run</button>
<p id="status"></p>
<p id="error"></p>
<div id="result" hidden>
  <h2>Answer</h2>
  <ol id="answer"></ol>
  <table>
    <thead><tr><th></th><th>round trip (ms)</th><th>GMACs</th><th>tokens kept</th></tr></thead>
    <tbody><tr id="dense"><td>dense</td><td></td><td></td><td></td></tr><tr id="reduced"><td></td><td></td><td></td><td></td></tr></tbody>
  </table>
  <h2>Merge map</h2>
  <img id="mergemap" alt="merge map">
</div>
<script>
"use strict";
// The tasks come from /healthz (those the served model answers); /v1/mergemap is drawn beside them where it is one.
const $ = id => document.getElementById(id);
let image = null, mergeMap = false;

async function post(path, body) {
  const start = performance.now();
  const response = await fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const json = await response.json();
  if (!response.ok) throw new Error(json.error ? json.error.message : response.statusText);
  return { json, ms: performance.now() - start };
}

function request(task, reducer) {
  const body = { image, reducer };
  if (task === "zeroshot") body.labels = $("labels").value.split(",").map(s => s.trim()).filter(s => s);
  if (task === "vqa") body.question = $("question").value;
  if (task === "match") body.text = $("text").value;
  if (task === "caption" && $("prompt").value.trim()) body.prompt = $("prompt").value.trim();
  if (task === "embeddings") return { input: image, reducer };
  return body;
}

function answerLines(task, json) {
  if (task === "classify" || task === "zeroshot")
    return json.predictions.map(p => `${p.label} (${p.index}) ${(100 * p.probability).toFixed(2)} %`);
  if (task === "vqa") return json.answers.map(a => a.score === undefined ? a.answer : `${a.answer} ${(100 * a.score).toFixed(2)} %`);
  if (task === "caption") return [json.caption];
  if (task === "match") return json.matches.map(m => `${m.text}: p(match) ${(100 * m.probability).toFixed(2)} %, cosine ${m.contrastive.toFixed(4)}`);
  const v = json.data[0].embedding;
  return [`${v.length}-dimensional embedding: ${v.slice(0, 4).map(x => x.toFixed(4)).join(", ")}, …`];
}

function fill(row, label, run) {
  const cells = $(row).children;
  if (label) cells[0].textContent = label;
  cells[1].textContent = run.ms.toFixed(1);
  cells[2].textContent = run.json.gmacs.toPrecision(4);
  cells[3].textContent = [].concat(run.json.tokens_kept).join(", ");
}

async function run() {
  if (!image) return;
  const task = $("task").value, reducer = $("reducer").value.trim() || "none";
  $("error").textContent = "";
  $("run").disabled = true;
  $("status").textContent = "running…";
  try {
    // One after the other, so the two round trips do not share the CPU.
    const dense = await post("/v1/" + task, request(task, "none"));
    const reduced = await post("/v1/" + task, request(task, reducer));
    const map = mergeMap ? await post("/v1/mergemap", { image, reducer }) : null;
    $("answer").replaceChildren(...answerLines(task, reduced.json).map(line => {
      const li = document.createElement("li");
      li.textContent = line;
      return li;
    }));
    fill("dense", null, dense);
    fill("reduced", reducer, reduced);
    $("mergemap").hidden = !map;
    if (map) $("mergemap").src = map.json.image;
    $("result").hidden = false;
    $("status").textContent = "done";
  } catch (e) {
    $("status").textContent = "";
    $("error").textContent = e.message;
  } finally {
    $("run").disabled = false;
  }
}

function pick(file) {
  if (!file) return;
  const reader = new FileReader();
  reader.onload = () => {
    image = reader.result;
    $("preview").src = image;
    $("preview").hidden = false;
    $("run").disabled = false;
    run();
  };
  reader.readAsDataURL(file);
}

function showFields() {
  $("labels-field").hidden = $("task").value !== "zeroshot";
  $("question-field").hidden = $("task").value !== "vqa";
  $("text-field").hidden = $("task").value !== "match";
  $("prompt-field").hidden = $("task").value !== "caption";
}

$("drop").onclick = e => { if (e.target.id !== "file") $("file").click(); };
$("file").onchange = () => pick($("file").files[0]);
$("drop").ondragover = e => { e.preventDefault(); $("drop").classList.add("over"); };
$("drop").ondragleave = () => $("drop").classList.remove("over");
$("drop").ondrop = e => { e.preventDefault(); $("drop").classList.remove("over"); pick(e.dataTransfer.files[0]); };
$("task").onchange = showFields;
$("run").onclick = run;

fetch("/healthz").then(r => r.json()).then(health => {
  mergeMap = health.tasks.includes("mergemap");
  $("model").textContent = `${health.model} (${health.family}), default reducer ${health.reducer}`;
  $("reducer").value = health.reducer;
  $("task").replaceChildren(...health.tasks.filter(t => t !== "mergemap").map(t => new Option(t, t)));
  showFields();
}, e => { $("error").textContent = "cannot reach the server: " + e.message; });
</script>
</body>
</html>
""";
}
