// Feature map: highlights the points whose id, label or top tokens contain the search text, over
// window.SAE_FEATURES (data/features.js; columns found by name, as in index.js). The points are plain links, so
// the map works without this script.
(function () {
  "use strict";
  var data = window.SAE_FEATURES || { columns: [], rows: [] };
  var svg = document.getElementById("map"), search = document.getElementById("map-search");
  var status = document.getElementById("map-count");
  if (!svg || !search) return;
  var searched = (data.columns || []).map(function (c, i) { return c.search ? i : -1; })
    .filter(function (i) { return i >= 0; });
  var keys = data.rows.map(function (row) {
    return searched.map(function (j) { return String(row[j]); }).join(" ").toLowerCase();
  });
  var points = Array.prototype.map.call(svg.querySelectorAll("a"), function (a) {
    var href = a.getAttribute("href");
    return { link: a, id: parseInt(href.slice(href.lastIndexOf("/") + 1), 10) };
  });
  function update() {
    var query = search.value.trim().toLowerCase();
    var hits = 0;
    svg.classList.toggle("searching", query !== "");
    points.forEach(function (p) {
      var hit = query !== "" && (String(p.id) === query || (keys[p.id] || "").indexOf(query) >= 0);
      p.link.classList.toggle("hit", hit);
      if (hit) hits++;
    });
    status.textContent = query === "" ? "" : hits + (hits === 1 ? " feature matches" : " features match");
  }
  search.addEventListener("input", update);
})();
