// Feature index: sorting, filtering and paging over window.SAE_FEATURES (loaded by data/features.js, so the
// page works from file:// as well as from a web server). Rows: [id, label, frequency, mean, max, cluster, topTokens, hasExamples].
(function () {
  "use strict";
  var data = window.SAE_FEATURES || { rows: [] };
  var rows = data.rows;
  var pageSize = 100, page = 0, sortCol = 2, sortDir = -1;
  var body = document.querySelector("#features tbody");
  var search = document.getElementById("search"), fired = document.getElementById("fired");
  var shown = rows;
  for (var i = 0; i < rows.length; i++) {
    rows[i].key = (String(rows[i][0]) + " " + rows[i][1] + " " + rows[i][6]).toLowerCase();
  }
  function fmt(x) {
    if (x === null || x === undefined) return "–";
    if (x === 0) return "0";
    var a = Math.abs(x);
    return a >= 1e6 || a < 1e-3 ? x.toExponential(2) : x.toPrecision(3).replace(/\.?0+$/, "");
  }
  function cell(row, text, cls) {
    var td = document.createElement("td");
    if (cls) td.className = cls;
    td.textContent = text;
    row.appendChild(td);
    return td;
  }
  function render() {
    var start = page * pageSize, frag = document.createDocumentFragment();
    for (var i = start; i < Math.min(shown.length, start + pageSize); i++) {
      var r = shown[i], tr = document.createElement("tr");
      if (!r[7]) tr.className = "dead";
      var id = cell(tr, "", "num");
      var a = document.createElement("a");
      a.href = "features/" + r[0] + ".html";
      a.textContent = r[0];
      id.appendChild(a);
      cell(tr, r[1]);
      cell(tr, r[2] === null ? "–" : fmt(r[2] * 100) + "%", "num");
      cell(tr, fmt(r[3]), "num");
      cell(tr, fmt(r[4]), "num");
      var c = cell(tr, "", "num");
      if (r[5] !== null) {
        var ca = document.createElement("a");
        ca.href = "clusters/" + r[5] + ".html";
        ca.textContent = r[5];
        c.appendChild(ca);
      }
      cell(tr, r[6], "tok");
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
    if (x === y) return a[0] - b[0];
    if (x === null || x === "") return 1;
    if (y === null || y === "") return -1;
    return (x < y ? -1 : 1) * sortDir;
  }
  function update() {
    var q = search.value.trim().toLowerCase(), onlyFired = fired.checked;
    shown = rows.filter(function (r) { return (!onlyFired || r[7]) && (!q || r.key.indexOf(q) >= 0); });
    shown.sort(compare);
    page = 0;
    render();
  }
  document.querySelectorAll("#features th[data-col]").forEach(function (th) {
    th.addEventListener("click", function () {
      var col = +th.getAttribute("data-col");
      sortDir = col === sortCol ? -sortDir : (col <= 1 || col === 5 || col === 6 ? 1 : -1);
      sortCol = col;
      document.querySelectorAll("#features th").forEach(function (h) { h.classList.remove("sorted-asc", "sorted-desc"); });
      th.classList.add(sortDir > 0 ? "sorted-asc" : "sorted-desc");
      update();
    });
  });
  search.addEventListener("input", update);
  fired.addEventListener("change", update);
  document.getElementById("prev").addEventListener("click", function () { page--; render(); });
  document.getElementById("next").addEventListener("click", function () { page++; render(); });
  // A run without feature summaries has no examples at all: show every feature.
  if (!rows.some(function (r) { return r[7]; })) fired.checked = false;
  var initial = document.querySelector('#features th[data-col="2"]');
  if (initial) initial.classList.add("sorted-desc");
  update();
})();
