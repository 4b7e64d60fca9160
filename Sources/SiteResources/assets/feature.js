// Feature pages: p / ArrowLeft and n / ArrowRight go to the previous and next feature, i to the feature index
// (the keys are listed on the page). Ignored while typing in a field or with a modifier held.
(function () {
  "use strict";
  var targets = { p: 'a[rel="prev"]', ArrowLeft: 'a[rel="prev"]', n: 'a[rel="next"]', ArrowRight: 'a[rel="next"]',
                  i: 'a[aria-keyshortcuts="i"]' };
  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    var selector = targets[event.key];
    var link = selector && document.querySelector(selector);
    if (!link) return;
    event.preventDefault();
    window.location.href = link.href;
  });
})();
