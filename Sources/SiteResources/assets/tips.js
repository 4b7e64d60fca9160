// Token tooltips: Escape hides the open one (the focused or hovered token's) until the pointer or focus leaves it;
// from a link inside a tooltip, focus goes back to its token first.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var active = document.activeElement;
    var owner = active && active.closest && active.closest(".pop") ? active.closest(".t, .w") : null;
    if (owner) owner.focus();
    var open = document.querySelectorAll(".t:hover, .w:hover, .t:focus, .w:focus");
    for (var i = 0; i < open.length; i++) {
      var token = open[i];
      token.classList.add("pop-off");
      var reset = function (t) { return function () { t.classList.remove("pop-off"); }; }(token);
      token.addEventListener("mouseleave", reset, { once: true });
      token.addEventListener("blur", reset, { once: true });
    }
  });
})();
