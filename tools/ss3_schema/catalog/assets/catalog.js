"use strict";
// Filters topics, events, types and their fields as one types. An entry whose own
// name or description matches shows whole; otherwise only its matching field rows.
(function () {
  var input = document.getElementById("search");
  var count = document.getElementById("count");
  var nothing = document.getElementById("nothing");
  var sections = Array.prototype.slice.call(document.querySelectorAll("section.topic, section#types"));
  var tocItems = {};
  Array.prototype.forEach.call(document.querySelectorAll("nav li[data-target]"), function (li) {
    tocItems[li.getAttribute("data-target")] = li;
  });

  function text(el) { return el.getAttribute("data-search") || ""; }

  function filterEntry(entry, query, sectionMatches) {
    var own = sectionMatches || text(entry).indexOf(query) !== -1;
    var rows = entry.querySelectorAll("tr[data-search]");
    var anyRow = false;
    for (var i = 0; i < rows.length; i++) {
      var hit = own || text(rows[i]).indexOf(query) !== -1;
      rows[i].classList.toggle("hidden", !hit);
      anyRow = anyRow || hit;
    }
    var shown = own || anyRow;
    entry.classList.toggle("hidden", !shown);
    var li = tocItems[entry.id];
    if (li) { li.classList.toggle("hidden", !shown); }
    return shown;
  }

  function apply() {
    var query = input.value.trim().toLowerCase();
    var shownEntries = 0;
    sections.forEach(function (section) {
      var sectionMatches = section.id !== "types" && query !== "" && text(section).indexOf(query) !== -1;
      var entries = section.querySelectorAll("article.entry");
      var any = false;
      for (var i = 0; i < entries.length; i++) {
        if (filterEntry(entries[i], query, sectionMatches)) { any = true; shownEntries++; }
      }
      var shown = any || sectionMatches;
      section.classList.toggle("hidden", !shown);
      var li = tocItems[section.id];
      if (li) { li.classList.toggle("hidden", !shown); }
    });
    count.textContent = query === "" ? "" : shownEntries + " matching";
    nothing.classList.toggle("hidden", query === "" || shownEntries > 0);
  }

  input.addEventListener("input", apply);
  document.addEventListener("keydown", function (event) {
    if (event.key === "/" && document.activeElement !== input) { event.preventDefault(); input.focus(); }
  });
  if (input.value) { apply(); }
})();
