// posetrack report: the page's only script, inlined in <head>. It first installs an error guard, so that any script
// or resource error anywhere in the page is recorded; once the document is parsed it wires the timeline and table
// sorting, checks itself, and sets data-ok="true" on <html> only when nothing went wrong (the browser test reads it).
window.__ptErrors = [];
(function () {
  var d = document.documentElement;
  function fail(m) {
    window.__ptErrors.push(String(m));
    d.setAttribute('data-ok', 'false');
    d.setAttribute('data-errors', window.__ptErrors.join(' | '));
  }
  window.addEventListener('error', function (e) { fail(e.message || 'resource error'); }, true);
  window.addEventListener('unhandledrejection', function (e) { fail(e.reason); });
  var ce = console.error;
  console.error = function () { fail([].slice.call(arguments).join(' ')); return ce.apply(console, arguments); };
  window.__ptFail = fail;
})();

document.addEventListener('DOMContentLoaded', function () {
  var d = document.documentElement;
  function num(el, k) { return parseFloat(el.getAttribute('data-' + k)); }

  // Timeline: sort the rows by start, length or id; a second click on the same button reverses the order.
  var box = document.getElementById('tl-rows');
  var dirs = { start: 1, len: -1, id: 1 };
  function sortRows(key, dir) {
    if (!box) return;
    var rows = Array.prototype.slice.call(box.children);
    rows.sort(function (a, b) { return (num(a, key) - num(b, key)) * dir || num(a, 'id') - num(b, 'id'); });
    rows.forEach(function (r) { box.appendChild(r); });
    document.querySelectorAll('.controls button').forEach(function (b) { b.classList.toggle('on', b.getAttribute('data-sort') === key); });
  }
  document.querySelectorAll('.controls button').forEach(function (b) {
    b.addEventListener('click', function () {
      var k = b.getAttribute('data-sort');
      if (b.classList.contains('on')) dirs[k] = -dirs[k];
      sortRows(k, dirs[k]);
    });
  });

  // Tables: click a header to sort by it (numbers by their data-v), again to reverse.
  function cellVal(tr, i, numeric) {
    var c = tr.children[i];
    if (!c) return '';
    var v = c.getAttribute('data-v');
    if (v === null) v = c.textContent;
    return numeric ? parseFloat(v) : v.toLowerCase();
  }
  document.querySelectorAll('table.sortable').forEach(function (t) {
    var ths = t.querySelectorAll('thead th');
    ths.forEach(function (th, i) {
      th.addEventListener('click', function () {
        var numeric = th.getAttribute('data-type') === 'num';
        var asc = !th.classList.contains('asc');
        ths.forEach(function (o) { o.classList.remove('asc', 'desc'); });
        th.classList.add(asc ? 'asc' : 'desc');
        var tb = t.tBodies[0];
        var rows = Array.prototype.slice.call(tb.rows);
        rows.sort(function (a, b) { var x = cellVal(a, i, numeric), y = cellVal(b, i, numeric); return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1); });
        rows.forEach(function (r) { tb.appendChild(r); });
      });
    });
  });

  // Self-check: every sort keeps every row and orders it; every row renders with a bar.
  var rows = box ? box.children.length : 0, visible = 0;
  if (box) {
    ['len', 'id', 'start'].forEach(function (k) {
      sortRows(k, dirs[k]);
      var r = box.children;
      if (r.length !== rows) window.__ptFail('sort by ' + k + ' lost rows');
      for (var i = 1; i < r.length; i++) if ((num(r[i], k) - num(r[i - 1], k)) * dirs[k] < 0) { window.__ptFail('sort by ' + k + ' out of order'); break; }
    });
    Array.prototype.forEach.call(box.children, function (r) {
      if (r.getBoundingClientRect().height > 0 && r.querySelector('svg rect:not(.span)')) visible++;
    });
  }
  d.setAttribute('data-rows', String(rows));
  d.setAttribute('data-visible-rows', String(visible));
  if (window.__ptErrors.length === 0) d.setAttribute('data-ok', 'true');
});
