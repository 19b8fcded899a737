// rmaplab report: the page's script. It reads the data element (written by
// src/html/html_report.cc) and replays each run's per-operation changes to
// draw the state after the selected operation; nothing is fetched.
//
// Data: {file, procs, folios, runs: [RUN, RUN?], profiles, kernel}
//   RUN = {profile, ops: [OP...], violation, error, reuse: [[operation, anon_vma,
//          VMA start, num_children, num_active_vmas, pvma's own (0/1), reused (0/1)]]}
//   OP  = [line, text, result (0: ok), [anon_vma alloc, free, AVC alloc, free] (0: none),
//          live anon_vmas, live AVCs, events (0: none; [kind, id, site]),
//          locks (0: none; [lock, times]), [changes],
//          [VMAs with an anon_vma, chain AVCs, longest chain,
//           walk candidates, walk mappings, longest walk]]
//   sites, locks: the names events and locks refer to by index
//   a change = [kind, key, after] (null: gone); stepping forward the page
//   inserts the value it replaced, [kind, key, before, after], to step back.
//   Kinds:
//     p process (key slot): name
//     v VMA (key id): [slot, start, end, prot, pgoff, shmem, anon_vma, [chain], present]
//     a anon_vma (key id): [root, parent, refcount, num_children, num_active_vmas]
//     f page (key slot * 2^24 + page): [folio, anon_vma, zero, shmem, exclusive]; a
//       folio's mapcount is the pages that name it (the zero page aside)
(function () {
  'use strict';
  const errors = [];
  window.addEventListener('error', (e) => errors.push(String(e.message)));
  const consoleError = console.error;
  console.error = function (...args) {
    errors.push(args.map(String).join(' '));
    consoleError.apply(console, args);
  };

  const timing = {start: performance.now()};
  const D = JSON.parse(document.getElementById('rmaplab-data').textContent);
  Object.assign(D, JSON.parse(document.getElementById('rmaplab-tail').textContent));
  timing.parsed = performance.now();
  const SVGNS = 'http://www.w3.org/2000/svg';
  const LINE = 0, TEXT = 1, RESULT = 2, COUNTS = 3, LIVE_AV = 4, LIVE_AVC = 5, EVENTS = 6,
    LOCKS = 7, CHANGES = 8;
  const PAGE_KEY = 16777216;
  const MAX_DRAWN = 400;  // VMAs and anon_vmas drawn per state; the rest are counted
  // Each run's operations stay unparsed text, D.chunk to an element, until
  // the timeline first reaches them.
  const runs = [...document.querySelectorAll('script.run-end')].map((e) => JSON.parse(e.textContent));
  {
    const chunks = [...document.querySelectorAll('script[data-run]')];
    for (const r of runs) {
      r.chunks = chunks.filter((e) => e.dataset.run === String(r.run));
      r.parsed = [];
    }
  }
  const NONE = [0, 0, 0, 0], EMPTY = [];
  function opAt(r, i) {
    if (!r || i < 0 || i >= r.count) return undefined;
    const c = Math.floor(i / D.chunk);
    let ops = r.parsed[c];
    if (!ops) {
      ops = r.parsed[c] = JSON.parse(r.chunks[c].textContent);
      for (const op of ops) {
        if (op[RESULT] === 0) op[RESULT] = 'ok';
        if (op[COUNTS] === 0) op[COUNTS] = NONE;
        if (op[EVENTS] === 0) op[EVENTS] = EMPTY;
        if (op[LOCKS] === 0) op[LOCKS] = EMPTY;
      }
    }
    return ops[i - c * D.chunk];
  }
  const n = Math.max(...runs.map((r) => r.count));
  timing.normalized = performance.now();
  const EVENT_KINDS = ['+anon_vma', '-anon_vma', '+avc', '-avc'];

  // --- small helpers ---
  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function sv(tag, attrs, text) {
    const e = document.createElementNS(SVGNS, tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function clamp(x, lo, hi) { return Math.max(lo, Math.min(hi, x)); }
  function counts(c) { return '+' + c[0] + '/-' + c[1] + ' anon_vma, +' + c[2] + '/-' + c[3] + ' AVC'; }

  // --- replay: one run's state after `pos` operations ---
  class Replay {
    constructor(run) {
      this.run = run;
      this.pos = 0;
      this.maps = {p: new Map(), v: new Map(), a: new Map(), f: new Map()};
    }
    apply(changes, forward) {
      for (const c of changes) {
        const m = this.maps[c[0]];
        if (c.length === 3) c.splice(2, 0, m.has(c[1]) ? m.get(c[1]) : null);  // first time forward
        const v = forward ? c[3] : c[2];
        if (v === null) m.delete(c[1]); else m.set(c[1], v);
      }
    }
    seek(pos) {
      pos = clamp(pos, 0, this.run.count);
      while (this.pos < pos) this.apply(opAt(this.run, this.pos++)[CHANGES], true);
      while (this.pos > pos) this.apply(opAt(this.run, --this.pos)[CHANGES], false);
    }
    // The keys the operation that led here changed, by kind.
    changed() {
      const out = {p: new Set(), v: new Set(), a: new Set(), f: new Set()};
      if (this.pos > 0)
        for (const c of opAt(this.run, this.pos - 1)[CHANGES]) if (c[3] !== null) out[c[0]].add(c[1]);
      return out;
    }
    freed() {
      const out = [];
      if (this.pos > 0)
        for (const c of opAt(this.run, this.pos - 1)[CHANGES])
          if (c[3] === null && c[0] !== 'f') out.push(c);
      return out;
    }
  }
  const replays = runs.map((r) => new Replay(r));
  let pos = 0;
  let picked = null;  // the anon_vma id clicked on, if any

  // --- header and banners ---
  document.getElementById('title').textContent = 'rmaplab report: ' + D.file;
  {
    const parts = [n + ' operations', runs.map((r) => r.profile).join(' vs ')];
    if (D.kernel && !D.kernel.error) parts.push('kernel ' + D.kernel.release);
    document.getElementById('summary').textContent = parts.join(' \u00b7 ');
  }
  const banners = document.getElementById('banners');
  function banner(cls, text, jumpTo) {
    const b = el('div', {class: 'banner ' + cls});
    b.appendChild(el('span', {}, text));
    if (jumpTo !== undefined) {
      const btn = el('button', {}, 'go to it');
      btn.addEventListener('click', () => go(jumpTo));
      b.appendChild(btn);
    }
    banners.appendChild(b);
    return b;
  }
  runs.forEach((r, i) => {
    const who = runs.length > 1 ? r.profile + ': ' : '';
    if (r.violation) {
      const v = r.violation;
      const b = banner('bad violation', who + 'line ' + v.line + ' (' + v.op + '): rule ' + v.rule +
        ' broken ' + (v.during ? 'during' : 'after') + ' the operation: ' + v.message, r.count);
      if (v.explanation) b.appendChild(el('div', {class: 'explanation'}, 'The rule: ' + v.explanation));
    }
    if (r.error) banner('bad script-error', who + 'script error: ' + r.error, r.count);
    if (i === 0 && !r.violation && !r.error && r.count)
      banner('ok', 'invariants checked after every operation and on the whole state at the end: ok');
  });
  if (D.profiles) {
    const d = D.profiles.divergence;
    if (d)
      banner('diverge', 'first divergence of ' + D.profiles.a + ' and ' + D.profiles.b + ': line ' +
        d.line + ' (' + d.op + '), ' + d.kind + ': ' + d.message, d.index + 1);
    else banner('ok', D.profiles.a + ' and ' + D.profiles.b + ' do not differ on this script');
  }
  const kernelOps = D.kernel && D.kernel.ops ? D.kernel.ops : null;
  if (D.kernel) {
    if (D.kernel.error) banner('bad', 'kernel: ' + D.kernel.error);
    else if (!D.kernel.first.length) banner('ok', 'the kernel agrees with the model at every operation');
    else
      for (const f of D.kernel.first)
        banner('bad mismatch', 'kernel differs, ' + f.kind + ' at line ' + f.line + ' (' + f.op + '): ' +
          f.message, indexOfLine(f.line) + 1);
  }
  function indexOfLine(line) {
    for (let i = 0; i < kernelOps.length; ++i) if (kernelOps[i][0] === line) return i;
    return 0;
  }
  const profileDiffers = new Map();
  if (D.profiles) for (const [i, kinds] of D.profiles.differs) profileDiffers.set(i, kinds);

  // --- timeline marks ---
  {
    const marks = document.getElementById('marks');
    const seen = new Set();
    const mark = (i, cls) => {
      const x = n ? Math.floor((i + 0.5) / n * 1000) : 0;
      if (seen.has(cls + x)) return;
      seen.add(cls + x);
      marks.appendChild(sv('rect', {x: x - 1, y: cls === 'differs' ? 7 : 0, width: 3, height: 7, class: cls}));
    };
    for (const i of profileDiffers.keys()) mark(i, 'differs');
    if (D.profiles && D.profiles.divergence) {
      const i = D.profiles.divergence.index;
      marks.appendChild(sv('rect', {x: Math.floor(i / n * 1000), y: 0, width: Math.max(4, 1000 / n), height: 14,
        class: 'divergence'}));
    }
    if (kernelOps) kernelOps.forEach((k, i) => { if (k[3].length) mark(i, 'mismatch'); });
    runs.forEach((r) => { if (r.violation || r.error) mark(r.count - 1, 'violation'); });
    marks.appendChild(sv('rect', {id: 'cursor', x: 0, y: 0, width: 2, height: 14, class: 'cursor'}));
  }

  // --- the operation list: a window around the selection ---
  const oplist = document.getElementById('oplist');
  function opRows() {
    oplist.textContent = '';
    const head = el('tr');
    const cols = ['line', 'operation', 'result', 'anon_vma', 'AVC', 'live anon_vma', 'live AVC'];
    if (runs.length > 1) cols.push(runs[1].profile, 'differs');
    if (kernelOps) cols.push('kernel result', 'kernel anon_vma', 'kernel AVC');
    cols.forEach((c, i) => head.appendChild(el('th', i === 1 ? {class: 'op'} : {}, c)));
    oplist.appendChild(head);
    const sel = pos - 1;
    const from = clamp(sel - 7, 0, Math.max(0, n - 15));
    for (let i = from; i < Math.min(n, from + 15); ++i) {
      const op = opAt(runs[0], i) || opAt(runs[1], i);
      const tr = el('tr', {'data-index': i});
      const first = D.profiles && D.profiles.divergence && D.profiles.divergence.index === i;
      tr.className = (i === sel ? 'selected' : '') + (first ? ' first-divergence' : '');
      if (first) tr.title = 'the first divergence';
      const cells = [op[LINE], op[TEXT], op[RESULT], '+' + op[COUNTS][0] + '/-' + op[COUNTS][1],
        '+' + op[COUNTS][2] + '/-' + op[COUNTS][3], op[LIVE_AV], op[LIVE_AVC]];
      const classes = ['', 'op', '', '', '', '', ''];
      if (runs.length > 1) {
        const b = opAt(runs[1], i);
        cells.push(b ? b[RESULT] + ' +' + b[COUNTS][0] + '/-' + b[COUNTS][1] + ' +' + b[COUNTS][2] + '/-' +
          b[COUNTS][3] : '(stopped)');
        classes.push(profileDiffers.has(i) ? 'div' : '');
        cells.push(profileDiffers.get(i) || '');
        classes.push('div');
      }
      if (kernelOps) {
        const k = kernelOps[i];
        const bad = (kind) => k && k[3].includes(kind) ? 'bad' : '';
        cells.push(k ? k[1] : '', k ? '+' + k[2][0] + '/-' + k[2][1] : '', k ? '+' + k[2][2] + '/-' + k[2][3] : '');
        classes.push(bad('result'), bad('counts') || bad('events'), bad('counts') || bad('events'));
      }
      cells.forEach((c, j) => tr.appendChild(el('td', classes[j] ? {class: classes[j]} : {}, String(c))));
      tr.addEventListener('click', () => go(i + 1));
      oplist.appendChild(tr);
    }
  }

  // --- the selected operation in detail ---
  const detail = document.getElementById('detail');
  function showDetail() {
    detail.textContent = '';
    runs.forEach((r, ri) => {
      const box = el('div', {class: 'op-detail'});
      const i = pos - 1;
      const prefix = runs.length > 1 ? r.profile + ': ' : '';
      if (i < 0) {
        box.appendChild(el('h2', {}, prefix + 'before the first operation'));
        detail.appendChild(box);
        return;
      }
      const op = opAt(r, i);
      if (!op) {
        box.appendChild(el('h2', {}, prefix + 'the run stopped before this operation'));
        detail.appendChild(box);
        return;
      }
      box.appendChild(el('h2', {}, prefix + 'line ' + op[LINE] + ': ' + op[TEXT] + ' \u2192 ' + op[RESULT]));
      box.appendChild(el('div', {class: 'counts'}, counts(op[COUNTS]) + '; live ' + op[LIVE_AV] +
        ' anon_vma, ' + op[LIVE_AVC] + ' AVC'));
      if (op[EVENTS].length) {
        const ul = el('ul', {class: 'events'});
        for (const e of op[EVENTS])
          ul.appendChild(el('li', {class: 'mono'}, EVENT_KINDS[e[0]] + ' #' + e[1] + ' ' + D.sites[e[2]]));
        box.appendChild(el('div', {}, 'events, in order:'));
        box.appendChild(ul);
      }
      if (op[LOCKS].length)
        box.appendChild(el('div', {class: 'locks mono'}, 'locks: ' + op[LOCKS].map(([k, v]) => D.locks[k] + ' \u00d7' + v).join(', ')));
      const freed = replays[ri].freed();
      if (freed.length)
        box.appendChild(el('div', {}, 'gone: ' + freed.map((c) => (c[0] === 'a' ? 'anon_vma #' : c[0] === 'v' ? 'VMA ' : 'process ') + (c[0] === 'p' ? c[2] : c[1])).join(', ')));
      if ((r.violation || r.error) && i === r.count - 1) {
        const v = r.violation;
        const t = v ? 'rule ' + v.rule + ' broken ' + (v.during ? 'during' : 'after') + ' this operation: ' +
          v.message : 'script error: ' + r.error;
        box.appendChild(el('div', {class: 'bad-text violation-here'}, t));
        if (v && v.explanation) box.appendChild(el('div', {}, 'The rule: ' + v.explanation));
      }
      if (ri === 0 && kernelOps && kernelOps[i]) {
        const k = kernelOps[i];
        const t = el('table', {class: 'cmp'});
        t.appendChild(el('tr')).append(el('th', {}, ''), el('th', {}, 'result'), el('th', {}, 'anon_vma +'),
          el('th', {}, 'anon_vma -'), el('th', {}, 'AVC +'), el('th', {}, 'AVC -'));
        const row = (name, res, c, bad) => {
          const tr = el('tr');
          tr.appendChild(el('th', {}, name));
          tr.appendChild(el('td', bad('result') ? {class: 'bad'} : {}, res));
          for (const x of c) tr.appendChild(el('td', bad('counts') ? {class: 'bad'} : {}, String(x)));
          t.appendChild(tr);
        };
        const bad = (kind) => k[3].includes(kind);
        row('model', op[RESULT], op[COUNTS], bad);
        row('kernel', k[1], k[2], bad);
        box.appendChild(t);
        box.appendChild(el('div', k[3].length ? {class: 'bad-text kernel-verdict'} : {class: 'kernel-verdict'},
          k[3].length ? 'differs: ' + k[3].join(', ') : 'kernel agrees'));
      }
      if (ri === 1 && profileDiffers.has(i))
        box.appendChild(el('div', {class: 'bad-text'}, 'differs from ' + runs[0].profile + ': ' + profileDiffers.get(i)));
      detail.appendChild(box);
    });
  }

  // --- the state as SVG ---
  const states = document.getElementById('states');
  const panels = runs.map((r) => {
    const box = el('div', {class: 'state'});
    box.appendChild(el('h2', {}, runs.length > 1 ? r.profile : 'state after the selected operation'));
    box.appendChild(el('div', {class: 'state-key'}, 'VMAs by process, left; anon_vmas as their forest, right; ' +
      'AVC edges blue (the VMA\'s own anon_vma bold), parent edges dashed; orange: changed by the operation' +
      (D.folios ? '; pages: green an exclusive anonymous folio, orange one mapped more than once, grey the zero page, blue shmem' : '')));
    const svg = sv('svg', {class: 'state-svg', 'data-profile': r.profile});
    box.appendChild(svg);
    states.appendChild(box);
    return svg;
  });

  function drawState(svg, replay) {
    svg.textContent = '';
    const changed = replay.changed();
    const {p: procs, v: vmas, a: avs, f: pages} = replay.maps;
    const edges = sv('g', {class: 'edges'});
    const nodes = sv('g', {class: 'nodes'});
    svg.append(edges, nodes);
    // Processes and their VMAs, left.
    const bySlot = new Map();
    for (const [id, v] of vmas) {
      if (!bySlot.has(v[0])) bySlot.set(v[0], []);
      bySlot.get(v[0]).push([id, v]);
    }
    const pagesBySlot = new Map();
    const mapcount = new Map();
    if (D.folios)
      for (const f of pages.values()) if (!f[2]) mapcount.set(f[0], (mapcount.get(f[0]) || 0) + 1);
    if (D.folios)
      for (const [key, f] of pages) {
        const slot = Math.floor(key / PAGE_KEY);
        if (!pagesBySlot.has(slot)) pagesBySlot.set(slot, []);
        pagesBySlot.get(slot).push([key % PAGE_KEY, f]);
      }
    const vmaAt = new Map();  // id -> [x right, y middle]
    let y = 8, drawn = 0, hidden = 0;
    const slots = [...procs.keys()].sort((a, b) => a - b);
    const PW = D.folios ? 330 : 250;
    for (const slot of slots) {
      const list = (bySlot.get(slot) || []).sort((a, b) => a[1][1] - b[1][1]);
      const g = sv('g', {class: 'proc' + (changed.p.has(slot) ? ' changed' : ''), 'data-slot': slot});
      const top = y;
      g.appendChild(sv('text', {x: 14, y: y + 13, class: 'name'}, procs.get(slot)));
      y += 18;
      if (!list.length) {
        g.appendChild(sv('text', {x: 18, y: y + 11, class: 'small'}, 'no mappings'));
        y += 16;
      }
      const slotPages = (pagesBySlot.get(slot) || []).sort((a, b) => a[0] - b[0]);
      for (const [id, v] of list) {
        if (drawn >= MAX_DRAWN) { ++hidden; continue; }
        ++drawn;
        const vg = sv('g', {class: 'vma' + (changed.v.has(id) ? ' changed' : ''), 'data-id': id,
          'data-anon-vma': v[6], 'data-chain': v[7].length});
        vg.appendChild(sv('rect', {x: 14, y: y, width: PW - 20, height: 18, rx: 2}));
        let label = '[' + v[1] + ',' + v[2] + ') ' + v[3];
        if (v[5]) label += ' shmem#' + v[5];
        label += v[6] ? ' av#' + v[6] + ' chain ' + v[7].length : ' no anon_vma';
        vg.appendChild(sv('text', {x: 18, y: y + 13}, label));
        const title = sv('title', {}, 'VMA ' + id + ': pages [' + v[1] + ',' + v[2] + '), pgoff ' + v[4] +
          ', ' + v[8] + ' present; chain ' + v[7].map((a) => '#' + a).join(' '));
        vg.appendChild(title);
        if (D.folios) {
          let px = 236;
          const inside = slotPages.filter(([pg]) => pg >= v[1] && pg < v[2]);
          for (const [pg, f] of inside.slice(0, 12)) {
            const mc = f[2] ? 0 : mapcount.get(f[0]);
            const cls = f[2] ? 'zero' : f[3] ? 'shmem' : mc > 1 ? 'cow' : 'anon';
            const r = sv('rect', {x: px, y: y + 4, width: 6, height: 10, class: 'page ' + cls, 'data-folio': f[0]});
            r.appendChild(sv('title', {}, 'page ' + pg + ': ' + (f[2] ? 'zero page' : 'folio #' + f[0] +
              ', mapcount ' + mc + (f[1] ? ', anon_vma #' + f[1] : '') + (f[4] ? ', exclusive' : ''))));
            vg.appendChild(r);
            px += 7;
          }
          if (inside.length > 12) vg.appendChild(sv('text', {x: px + 1, y: y + 13, class: 'small'}, '+' + (inside.length - 12)));
        } else if (v[8]) {
          vg.appendChild(sv('text', {x: PW - 10, y: y + 13, class: 'small', 'text-anchor': 'end'}, v[8] + ' pg'));
        }
        vmaAt.set(id, [PW - 6, y + 9]);
        nodes.appendChild(vg);
        y += 21;
      }
      g.insertBefore(sv('rect', {x: 8, y: top, width: PW - 8, height: y - top + 2, rx: 4}), g.firstChild);
      nodes.insertBefore(g, nodes.firstChild);
      y += 10;
    }
    const leftHeight = y;
    // anon_vmas as a forest, right: depth first from each root, children by id.
    const children = new Map();
    const roots = [];
    for (const [id, a] of avs) {
      if (a[1] === id || !avs.has(a[1])) roots.push(id);
      else {
        if (!children.has(a[1])) children.set(a[1], []);
        children.get(a[1]).push(id);
      }
    }
    roots.sort((a, b) => a - b);
    for (const list of children.values()) list.sort((a, b) => a - b);
    const avAt = new Map();
    const X0 = PW + 80;
    let ay = 8, avDrawn = 0, avHidden = 0;
    const stack = roots.slice().reverse().map((id) => [id, 0]);
    while (stack.length) {
      const [id, depth] = stack.pop();
      const kids = children.get(id) || [];
      for (let k = kids.length - 1; k >= 0; --k) stack.push([kids[k], depth + 1]);
      if (avDrawn >= MAX_DRAWN) { ++avHidden; continue; }
      ++avDrawn;
      const a = avs.get(id);
      const x = X0 + Math.min(depth, 12) * 22;
      const cls = 'av' + (a[0] === id ? ' root' : '') + (changed.a.has(id) ? ' changed' : '') + (picked === id ? ' picked' : '');
      const g = sv('g', {class: cls, 'data-id': id, 'data-refcount': a[2], 'data-num-children': a[3],
        'data-num-active-vmas': a[4]});
      g.appendChild(sv('rect', {x: x, y: ay, width: 200, height: 32, rx: 8}));
      g.appendChild(sv('text', {x: x + 8, y: ay + 13}, 'anon_vma #' + id + (a[0] === id ? ' (root)' : ' root #' + a[0])));
      g.appendChild(sv('text', {x: x + 8, y: ay + 26, class: 'counters'},
        'ref ' + a[2] + '  children ' + a[3] + '  active ' + a[4]));
      g.appendChild(sv('title', {}, 'anon_vma #' + id + ': refcount ' + a[2] + ', num_children ' + a[3] +
        ', num_active_vmas ' + a[4] + '; parent #' + a[1] + ', root #' + a[0] + ' (click for more)'));
      g.addEventListener('click', () => { picked = id; render(); });
      nodes.appendChild(g);
      avAt.set(id, [x, ay + 16]);
      ay += 38;
    }
    // AVC edges: VMA -> each anon_vma on its chain; the active one bold.
    for (const [id, v] of vmas) {
      const from = vmaAt.get(id);
      if (!from) continue;
      for (const av of v[7]) {
        const to = avAt.get(av);
        if (!to) continue;
        const mx = (from[0] + to[0]) / 2;
        edges.appendChild(sv('path', {class: 'avc' + (av === v[6] ? ' active' : ''), 'data-vma': id, 'data-anon-vma': av,
          d: 'M' + from[0] + ',' + from[1] + ' C' + mx + ',' + from[1] + ' ' + mx + ',' + to[1] + ' ' + to[0] + ',' + to[1]}));
      }
    }
    // Parent edges: child -> parent, dashed, along the left of the boxes.
    for (const [id, a] of avs) {
      if (a[1] === id) continue;
      const from = avAt.get(id), to = avAt.get(a[1]);
      if (!from || !to) continue;
      const bx = Math.min(from[0], to[0]) - 14;
      edges.appendChild(sv('path', {class: 'parent', 'data-child': id, 'data-parent': a[1],
        d: 'M' + from[0] + ',' + (from[1] - 8) + ' C' + bx + ',' + (from[1] - 8) + ' ' + bx + ',' + (to[1] + 8) + ' ' + to[0] + ',' + (to[1] + 8)}));
    }
    let height = Math.max(leftHeight, ay) + 10;
    if (hidden || avHidden) {
      nodes.appendChild(sv('text', {x: 10, y: height + 4, class: 'note'}, 'not drawn: ' + hidden + ' VMAs, ' + avHidden +
        ' anon_vmas (the first ' + MAX_DRAWN + ' of each are)'));
      height += 16;
    }
    if (!procs.size) nodes.appendChild(sv('text', {x: 10, y: 20, class: 'note'}, 'no processes'));
    svg.setAttribute('width', X0 + 12 * 22 + 220);
    svg.setAttribute('height', Math.max(height, 40));
  }

  // --- the anon_vma clicked on ---
  const inspect = document.getElementById('inspect');
  function showInspect() {
    inspect.textContent = '';
    if (picked === null) return;
    const box = el('div', {class: 'inspect'});
    const {a: avs, v: vmas, p: procs} = replays[0].maps;
    const a = avs.get(picked);
    if (!a) {
      box.appendChild(el('h2', {}, 'anon_vma #' + picked + ' is not alive here'));
      inspect.appendChild(box);
      return;
    }
    box.appendChild(el('h2', {}, 'anon_vma #' + picked + (a[0] === picked ? ' (a root)' : ', root #' + a[0] + ', parent #' + a[1])));
    box.appendChild(el('div', {}, 'refcount ' + a[2] + ', num_children ' + a[3] + ', num_active_vmas ' + a[4]));
    const on = [];
    for (const [id, v] of vmas)
      if (v[7].includes(picked)) on.push(procs.get(v[0]) + ' [' + v[1] + ',' + v[2] + ')' + (v[6] === picked ? ' (its anon_vma)' : ''));
    box.appendChild(el('div', {}, 'on the chains of: ' + (on.length ? on.join('; ') : 'no VMA')));
    const kids = [];
    for (const [id, b] of avs) if (b[1] === picked && id !== picked) kids.push('#' + id);
    box.appendChild(el('div', {}, 'children alive: ' + (kids.length ? kids.join(' ') : 'none')));
    // Every fork whose chain walk asked the reuse rule about it, up to here
    // (RUN.reuse: [operation, anon_vma, VMA start, num_children,
    // num_active_vmas, is the parent VMA's anon_vma, reused]).
    const asked = (runs[0].reuse || []).filter((r) => r[1] === picked && r[0] < pos);
    if (!asked.length) {
      box.appendChild(el('div', {class: 'reuse-none'}, 'No fork has asked ' + runs[0].profile + '\'s reuse rule about it yet.'));
    } else {
      box.appendChild(el('div', {}, 'Forks that asked ' + runs[0].profile + '\'s reuse rule about it (' +
        asked.length + (asked.length > 20 ? ', the last 20' : '') + '):'));
      const list = el('ul', {class: 'reuse'});
      for (const r of asked.slice(-20)) {
        const op = opAt(runs[0], r[0]);
        list.appendChild(el('li', {class: r[6] ? 'reused' : 'refused'},
          'line ' + op[LINE] + ' (' + op[TEXT] + '), VMA at page ' + r[2] + ': ' + (r[6] ? 'reused' : 'not reused') +
          ', seeing num_children ' + r[3] + ', num_active_vmas ' + r[4] + (r[5] ? ' (the parent VMA\'s own anon_vma)' : '')));
      }
      box.appendChild(list);
    }
    inspect.appendChild(box);
  }

  timing.panels = performance.now();
  // --- plots ---
  const plots = document.getElementById('plots');
  const W = 600, H = 160, PAD = 34;
  const cursors = [];
  let chainBars = null;
  function plot(title, series, keys) {
    const box = el('div', {class: 'plot'});
    box.appendChild(el('h2', {}, title));
    const svg = sv('svg', {viewBox: '0 0 ' + W + ' ' + H, preserveAspectRatio: 'none', class: 'plot-svg'});
    let max = 1;
    for (const s of series) for (const v of s.values) if (v > max) max = v;
    svg.appendChild(sv('path', {class: 'axis', d: 'M' + PAD + ',4 V' + (H - 16) + ' H' + (W - 4)}));
    svg.appendChild(sv('text', {x: 2, y: 12, class: 'small'}, String(Math.round(max * 100) / 100)));
    svg.appendChild(sv('text', {x: 2, y: H - 16, class: 'small'}, '0'));
    svg.appendChild(sv('text', {x: W - 4, y: H - 3, class: 'small', 'text-anchor': 'end'}, String(n)));
    const xs = (i) => PAD + (n > 1 ? i / (n - 1) : 0) * (W - PAD - 6);
    const ys = (v) => H - 16 - v / max * (H - 24);
    for (const s of series) {
      // At most one point per horizontal unit: the bucket's minimum and maximum.
      const buckets = Math.min(s.values.length, 2 * (W - PAD));
      let d = '';
      for (let b = 0; b < buckets; ++b) {
        const lo = Math.floor(b * s.values.length / buckets), hi = Math.floor((b + 1) * s.values.length / buckets);
        let mn = Infinity, mx = -Infinity;
        for (let i = lo; i < hi; ++i) { mn = Math.min(mn, s.values[i]); mx = Math.max(mx, s.values[i]); }
        if (hi <= lo) continue;
        d += (d ? ' L' : 'M') + xs(lo).toFixed(1) + ',' + ys(mn).toFixed(1);
        if (mx !== mn) d += ' L' + xs(lo).toFixed(1) + ',' + ys(mx).toFixed(1);
      }
      const g = sv('g', {class: s.b ? 'b' : ''});
      g.appendChild(sv('path', {class: s.cls + ' series', d: d, 'data-name': s.name}));
      svg.appendChild(g);
    }
    const cursor = sv('line', {class: 'cursor', x1: PAD, x2: PAD, y1: 4, y2: H - 16});
    svg.appendChild(cursor);
    cursors.push((p) => {
      const x = p > 0 ? xs(p - 1) : PAD;
      cursor.setAttribute('x1', x);
      cursor.setAttribute('x2', x);
    });
    box.appendChild(svg);
    const key = el('div', {class: 'key'});
    for (const s of keys || series) {
      if (s.b) continue;
      const sw = el('span');
      sw.style.background = s.cls === 's0' ? '#e8590c' : s.cls === 's1' ? '#4c6ef5' : '#2f9e44';
      key.append(sw, document.createTextNode(s.name));
    }
    if (runs.length > 1) key.append(document.createTextNode('  (dashed: ' + runs[1].profile + ')'));
    box.appendChild(key);
    plots.appendChild(box);
    return box;
  }
  {
    // Plot columns (html_report.cc): live anon_vmas, live AVCs, VMAs with an
    // anon_vma, their chains' AVCs, the longest chain, walk candidates, walk
    // mappings, the longest walk.
    const series = (values, cls, name) => runs.map((r, i) => ({values: values(r.plot), cls: cls, name: name, b: i > 0}));
    plot('live objects over the run', [...series((p) => p[0], 's0', 'anon_vmas'),
      ...series((p) => p[1], 's1', 'AVCs')]);
    plot('anon_vma_chain length over the run', [
      ...series((p) => p[4], 's0', 'longest chain'),
      ...series((p) => p[3].map((x, i) => p[2][i] ? x / p[2][i] : 0), 's1', 'AVCs per VMA with an anon_vma')]);
    plot('rmap walks of the folios each read or write touched', [
      ...series((p) => p[6], 's2', 'of them mapping the folio'),
      ...series((p) => p[5], 's0', 'VMAs visited (candidates)'),
      ...series((p) => p[7], 's1', 'longest walk')]);
    // Chain length per VMA, now.
    const box = el('div', {class: 'plot'});
    box.appendChild(el('h2', {}, 'chain length per VMA, after the selected operation'));
    chainBars = sv('svg', {viewBox: '0 0 ' + W + ' ' + H, preserveAspectRatio: 'none', id: 'chain-bars'});
    box.appendChild(chainBars);
    plots.appendChild(box);
  }
  function drawChainBars() {
    chainBars.textContent = '';
    const {v: vmas, p: procs} = replays[0].maps;
    const list = [...vmas].filter(([, v]) => v[6]).sort((a, b) => a[1][0] - b[1][0] || a[1][1] - b[1][1]);
    const shown = list.slice(0, 300);
    let max = 1;
    for (const [, v] of shown) max = Math.max(max, v[7].length);
    const bw = (W - PAD - 6) / Math.max(shown.length, 1);
    chainBars.appendChild(sv('path', {class: 'axis', d: 'M' + PAD + ',4 V' + (H - 16) + ' H' + (W - 4)}));
    chainBars.appendChild(sv('text', {x: 2, y: 12, class: 'small'}, String(max)));
    shown.forEach(([id, v], i) => {
      const h = v[7].length / max * (H - 24);
      const r = sv('rect', {class: 'bar', x: PAD + i * bw + 1, y: H - 16 - h, width: Math.max(bw - 2, 1), height: h});
      r.appendChild(sv('title', {}, procs.get(v[0]) + ' [' + v[1] + ',' + v[2] + '): ' + v[7].length + ' AVCs'));
      chainBars.appendChild(r);
    });
    chainBars.appendChild(sv('text', {x: W - 4, y: H - 3, class: 'small', 'text-anchor': 'end'},
      list.length + ' VMAs with an anon_vma' + (list.length > shown.length ? ' (first 300 drawn)' : '')));
  }

  timing.plotted = performance.now();
  // --- stepping ---
  const slider = document.getElementById('slider');
  slider.max = String(n);
  const position = document.getElementById('position');
  function render() {
    for (let i = 0; i < runs.length; ++i) {
      replays[i].seek(pos);
      drawState(panels[i], replays[i]);
    }
    slider.value = String(pos);
    const op = pos > 0 ? (opAt(runs[0], pos - 1) || opAt(runs[1], pos - 1)) : null;
    position.textContent = pos + '/' + n + (op ? '  line ' + op[LINE] + ': ' + op[TEXT] : '  (start)');
    document.getElementById('cursor').setAttribute('x', n ? Math.floor(Math.max(pos - 0.5, 0) / n * 1000) : 0);
    opRows();
    showDetail();
    showInspect();
    drawChainBars();
    for (const c of cursors) c(pos);
  }
  let rendered = false;
  function go(p) {
    p = clamp(p, 0, n);
    if (p === pos && rendered) return;
    pos = p;
    render();
    rendered = true;
  }
  slider.addEventListener('input', () => go(Number(slider.value)));
  document.getElementById('first').addEventListener('click', () => go(0));
  document.getElementById('prev').addEventListener('click', () => go(pos - 1));
  document.getElementById('next').addEventListener('click', () => go(pos + 1));
  document.getElementById('last').addEventListener('click', () => go(n));
  document.addEventListener('keydown', (e) => {
    const step = {ArrowRight: 1, ArrowLeft: -1, PageDown: 100, PageUp: -100}[e.key];
    if (step !== undefined) go(pos + step);
    else if (e.key === 'Home') go(0);
    else if (e.key === 'End') go(n);
    else return;
    e.preventDefault();
  });
  // #at=N, or the end of the run (the state it leaves) if it fits in one
  // data element, else its start (the page then parses only what it shows).
  go(Number((location.hash.match(/at=(\d+)/) || [])[1] || (n <= D.chunk ? n : 0)));
  const loadMs = performance.now();
  timing.shown = loadMs;

  // --- self-test (#selftest): what a headless browser checks ---
  // Steps through the timeline with the keyboard from the start, recording
  // what the page shows at each position, and times loading and stepping.
  function key(k) { document.dispatchEvent(new KeyboardEvent('keydown', {key: k, bubbles: true})); }
  function snapshot() {
    const svg = panels[0];
    const avs = [...svg.querySelectorAll('g.av')].map((g) => [Number(g.dataset.id), Number(g.dataset.refcount),
      Number(g.dataset.numChildren), Number(g.dataset.numActiveVmas)]);
    return {pos: pos, slider: Number(slider.value), position: position.textContent,
      selected: (oplist.querySelector('tr.selected td.op') || {}).textContent || null,
      anon_vmas: avs, vmas: svg.querySelectorAll('g.vma').length, avc_edges: svg.querySelectorAll('path.avc').length,
      active_edges: svg.querySelectorAll('path.avc.active').length, parent_edges: svg.querySelectorAll('path.parent').length,
      changed: svg.querySelectorAll('.changed').length, processes: svg.querySelectorAll('g.proc').length,
      pages: svg.querySelectorAll('rect.page').length,
      mismatches: document.querySelectorAll('#oplist td.bad').length,
      inspect: [...inspect.querySelectorAll('li')].map((li) => li.textContent),
      violation_here: !!document.querySelector('.violation-here')};
  }
  if (location.hash.startsWith('#selftest')) {
    const limit = Number((location.hash.match(/steps=(\d+)/) || [])[1] || 400);
    const pick = (location.hash.match(/pick=(\d+)/) || [])[1];
    if (pick !== undefined) picked = Number(pick);
    const out = {ops: n, runs: runs.map((r) => ({profile: r.profile, ops: r.count, violation: r.violation, error: r.error})),
      load_ms: loadMs, timing: timing, banners: [...banners.children].map((b) => b.className + ': ' + b.textContent),
      plots: plots.querySelectorAll('path.series').length, end: snapshot(), steps: []};
    key('Home');
    out.steps.push(snapshot());
    for (let i = 0; i < Math.min(n, limit); ++i) { key('ArrowRight'); out.steps.push(snapshot()); }
    // Timing: single steps from the middle of the run, each drawn and laid out.
    const timed = Math.min(n, 200);
    go(Math.floor((n - timed) / 2));
    let worst = 0;
    const t0 = performance.now();
    for (let i = 0; i < timed; ++i) {
      const s = performance.now();
      key('ArrowRight');
      void document.body.offsetHeight;
      worst = Math.max(worst, performance.now() - s);
    }
    out.step_ms = timed ? (performance.now() - t0) / timed : 0;
    out.step_max_ms = worst;
    let s = performance.now();
    key('Home'); key('End');
    void document.body.offsetHeight;
    out.jump_ms = (performance.now() - s) / 2;
    s = performance.now();
    go(Math.floor(n / 2));
    void document.body.offsetHeight;
    out.slider_half_ms = performance.now() - s;
    out.errors = errors;
    const res = document.getElementById('selftest-result');
    res.textContent = JSON.stringify(out);
    res.hidden = false;
  }
})();
