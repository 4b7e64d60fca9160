// Feature index: sorting, filtering and paging over window.SAE_FEATURES (loaded by data/features.js, so the
// page works from file:// as well as from a web server). Columns are found by name in SAE_FEATURES.columns
// (defined once, by the generator's IndexColumn) and each cell is rendered by its column's kind.
(function () {
  "use strict";
  var data = window.SAE_FEATURES || { columns: [], rows: [] };
  var rows = data.rows, columns = data.columns || [];
  var col = {};
  columns.forEach(function (c, i) { col[c.name] = i; });
  var pageSize = 100, page = 0, sortCol = col.frequency, sortDir = -1;
  var body = document.querySelector("#features tbody");
  var search = document.getElementById("search"), fired = document.getElementById("fired");
  var hasExamples = col.has_examples;
  var searched = columns.map(function (c, i) { return c.search ? i : -1; }).filter(function (i) { return i >= 0; });
  var shown = rows;
  for (var i = 0; i < rows.length; i++) {
    rows[i].key = searched.map(function (j) { return String(rows[i][j]); }).join(" ").toLowerCase();
  }
  function fmt(x) {
    if (x === null || x === undefined) return "–";
    if (x === 0) return "0";
    var a = Math.abs(x);
    return a >= 1e6 || a < 1e-3 ? x.toExponential(2) : x.toPrecision(3).replace(/\.?0+$/, "");
  }
  function link(td, href, text) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    td.appendChild(a);
  }
  function cell(tr, kind, value) {
    var td = document.createElement("td");
    switch (kind) {
      case "id": td.className = "num"; link(td, "features/" + value + ".html", value); break;
      case "percent": td.className = "num"; td.textContent = value === null ? "–" : fmt(value * 100) + "%"; break;
      case "number": td.className = "num"; td.textContent = fmt(value); break;
      case "cluster": td.className = "num"; if (value !== null) link(td, "clusters/" + value + ".html", value); break;
      case "tokens": td.className = "tok"; td.textContent = value; break;
      default: td.textContent = value;
    }
    tr.appendChild(td);
  }
  function render() {
    var start = page * pageSize, frag = document.createDocumentFragment();
    for (var i = start; i < Math.min(shown.length, start + pageSize); i++) {
      var r = shown[i], tr = document.createElement("tr");
      if (hasExamples !== undefined && !r[hasExamples]) tr.className = "dead";
      for (var j = 0; j < columns.length; j++) {
        if (columns[j].kind !== "flag") cell(tr, columns[j].kind, r[j]);
      }
      frag.appendChild(tr);
    }
    body.replaceChildren(frag);
    var pages = Math.max(1, Math.ceil(shown.length / pageSize));
    document.getElementById("page").textContent = "page " + (page + 1) + " of " + pages;
    document.getElementById("count").textContent = shown.length + " of " + rows.length + " features";
    document.getElementById("prev").disabled = page === 0;
    document.getElementById("next").disabled = page >= pages - 1;
  }
  function compare(a, b) {
    var x = a[sortCol], y = b[sortCol];
    if (x === y) return a[col.id] - b[col.id];
    if (x === null || x === "") return 1;
    if (y === null || y === "") return -1;
    return (x < y ? -1 : 1) * sortDir;
  }
  function update() {
    var q = search.value.trim().toLowerCase(), onlyFired = fired.checked && hasExamples !== undefined;
    shown = rows.filter(function (r) { return (!onlyFired || r[hasExamples]) && (!q || r.key.indexOf(q) >= 0); });
    shown.sort(compare);
    page = 0;
    render();
  }
  var buttons = document.querySelectorAll("#features th button[data-col]");
  buttons.forEach(function (button) {
    button.addEventListener("click", function () {
      var c = col[button.getAttribute("data-col")];
      if (c === undefined) return;
      sortDir = c === sortCol ? -sortDir : (button.getAttribute("data-ascending") === "1" ? 1 : -1);
      sortCol = c;
      buttons.forEach(function (b) { b.parentNode.removeAttribute("aria-sort"); });
      button.parentNode.setAttribute("aria-sort", sortDir > 0 ? "ascending" : "descending");
      update();
    });
  });
  search.addEventListener("input", update);
  fired.addEventListener("change", update);
  document.getElementById("prev").addEventListener("click", function () { page--; render(); });
  document.getElementById("next").addEventListener("click", function () { page++; render(); });
  // A run without feature summaries has no examples at all: show every feature.
  if (hasExamples === undefined || !rows.some(function (r) { return r[hasExamples]; })) fired.checked = false;
  update();
})();
