// docsync's page script: served as a file (the CSP forbids inline scripts). It sends the
// technicians' actions to the JSON API with the page's CSRF token, fills type-ahead lists,
// and follows a running sync. Everything it writes into the page goes through textContent.
'use strict';
(() => {
  const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';
  const flash = document.getElementById('flash');
  // Case, accents and apostrophes do not matter, as in docsync's search (docsync_fold, migration T1500).
  const fold = (text) =>
    text
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/['’`]/g, '')
      .toLowerCase();

  // `focus` false: the flash is announced (it is a live region) but focus stays where the technician works.
  function say(message, kind, focus = true) {
    if (!flash) return;
    flash.textContent = message;
    flash.className = `flash ${kind}`;
    flash.hidden = false;
    if (focus) flash.focus();
  }

  const remembered = sessionStorage.getItem('docsync-flash');
  if (remembered) {
    sessionStorage.removeItem('docsync-flash');
    say(remembered, 'ok');
  }

  async function api(method, url, body) {
    const response = await fetch(url, {
      method,
      credentials: 'same-origin',
      headers: { accept: 'application/json', 'x-csrf-token': csrf, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    if (!response.ok) {
      const error = data && data.error;
      const failure = new Error(
        error ? `${error.message}${error.action ? ` ${error.action}` : ''}` : `The request failed (HTTP ${response.status}).`,
      );
      failure.code = error && error.code;
      failure.plain = error ? error.message : failure.message;
      throw failure;
    }
    return data;
  }

  function done(message, data, element) {
    if (data && data.token) {
      // A new API token is shown once, in place, not stored.
      const out = document.getElementById(element.dataset.showToken || 'new-token');
      if (out) {
        out.hidden = false;
        out.querySelector('code').textContent = data.token;
        say('Token created. Copy it now: it is not shown again.', 'ok');
        return;
      }
    }
    if (data && data.runId && element.dataset.follow !== undefined) {
      location.href = `/sync-runs/${encodeURIComponent(data.runId)}`;
      return;
    }
    let said = message;
    if (data && data.applied) said = `${message} ${appliedSentence(data.applied)}`;
    else if (data && typeof data.documented === 'number') said = `${message} ${data.documented} documented at once.`;
    // A button marked data-summary says the server's sentence (e.g. what a licence refresh changed).
    else if (data && typeof data.summary === 'string' && element.dataset.summary !== undefined) said = `${message} ${data.summary}.`;
    const row = element.closest && element.closest('tr[data-tenant], tr[data-user]');
    if (row) {
      void refreshRow(row, element, said);
      return;
    }
    sessionStorage.setItem('docsync-flash', said);
    location.reload();
  }

  // A decision on a review row updates that row in place: the page is read again from the server (the one
  // place its markup is written) and only the row and the counts above the table are swapped, so the page
  // keeps its scroll position and focus stays in the row. Anything unexpected falls back to a reload.
  async function refreshRow(row, element, said) {
    const key = row.dataset.tenant !== undefined ? 'tenant' : 'user';
    const id = row.dataset[key];
    try {
      const response = await fetch(location.href, { credentials: 'same-origin', headers: { accept: 'text/html' } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const fresh = new window.DOMParser().parseFromString(await response.text(), 'text/html');
      const newRow = [...fresh.querySelectorAll(`tr[data-${key}]`)].find((r) => r.dataset[key] === id);
      const counts = document.querySelector('ul.counts');
      const newCounts = fresh.querySelector('ul.counts');
      if (counts && newCounts) counts.replaceWith(document.importNode(newCounts, true));
      if (newRow) {
        const imported = document.importNode(newRow, true);
        row.replaceWith(imported);
        bindTypeahead(imported);
        // Focus: the same control if the row still has it, else the row's first control.
        const same = element.dataset.api
          ? [...imported.querySelectorAll('[data-api]')].find((b) => b.dataset.api === element.dataset.api)
          : null;
        const target = same || imported.querySelector('button, a[href], input, summary');
        if (target) target.focus();
        imported.classList.add('updated');
        say(said, 'ok', false);
      } else {
        // The row left this filtered view (e.g. "suggested" once accepted): say so where it was.
        const cells = row.children.length;
        const note = document.createElement('tr');
        note.className = 'updated';
        const cell = document.createElement('td');
        cell.colSpan = cells;
        cell.tabIndex = -1;
        cell.textContent = "Done: this row no longer fits the list's filters.";
        note.append(cell);
        row.replaceWith(note);
        cell.focus();
        say(said, 'ok', false);
      }
    } catch {
      sessionStorage.setItem('docsync-flash', said);
      location.reload();
    }
  }

  // A technician's decision is written at once (or says why it waits for a sync).
  function appliedSentence(applied) {
    if (!applied.applied) return applied.message;
    const { created, updated } = applied.writes;
    return created + updated === 0
      ? 'The documentation was already up to date.'
      : `Documentation updated: ${created} created, ${updated} updated.`;
  }

  // The id of the option picked in a type-ahead input (its datalist maps labels to ids).
  function pickedId(input) {
    const list = input.list;
    if (!list) return null;
    for (const option of list.options) if (option.value === input.value) return option.dataset.id;
    return null;
  }

  document.addEventListener('click', async (event) => {
    const button = event.target.closest('button[data-api]');
    if (!button) return;
    event.preventDefault();
    const [method, url] = button.dataset.api.split(' ');
    let body = button.dataset.body ? JSON.parse(button.dataset.body) : undefined;
    if (button.dataset.pick) {
      const input = document.getElementById(button.dataset.pick);
      const id = input && pickedId(input);
      if (!id) {
        say('Pick an entry from the list first (type a few letters, then choose).', 'error');
        input?.focus();
        return;
      }
      body = { ...(body || {}), [button.dataset.pickKey || 'organizationId']: id };
    }
    button.disabled = true;
    try {
      done(button.dataset.done || 'Done.', await api(method, url, body), button);
    } catch (error) {
      let failure = error;
      // A contact that already belongs to another user: the technician confirms, or nothing changes.
      if (error.code === 'contact_belongs_to_another_user' && window.confirm(`${error.plain}\n\nMatch it to this user anyway?`)) {
        try {
          done(button.dataset.done || 'Done.', await api(method, url, { ...body, confirm: true }), button);
          return;
        } catch (again) {
          failure = again;
        }
      }
      say(failure.message, 'error');
      button.disabled = false;
    }
  });

  document.addEventListener('submit', async (event) => {
    const form = event.target.closest('form[data-api]');
    if (!form) return;
    event.preventDefault();
    const [method, url] = form.dataset.api.split(' ');
    const body = {};
    for (const field of form.querySelectorAll('[name]')) {
      if (field.disabled || field.name === '_csrf') continue;
      const kind = field.dataset.type;
      if (field.type === 'checkbox') body[field.name] = field.checked;
      else if (field.value === '' && field.dataset.optional !== undefined) continue;
      else if (kind === 'number') body[field.name] = Number(field.value);
      // Commas, semicolons or new lines separate entries; spaces do not, so "Sales Team" stays one
      // entry and the server can say that it is a name, not a group id.
      else if (kind === 'list')
        body[field.name] = field.value
          .split(/[,;\n]+/)
          .map((v) => v.trim())
          .filter(Boolean);
      else body[field.name] = field.value;
      if (field.dataset.group) {
        body[field.dataset.group] = { ...(body[field.dataset.group] || {}), [field.name]: body[field.name] };
        delete body[field.name];
      }
    }
    const submit = form.querySelector('button[type="submit"]');
    if (submit) submit.disabled = true;
    try {
      done(form.dataset.done || 'Saved.', await api(method, url, body), form);
    } catch (error) {
      say(error.message, 'error');
    } finally {
      if (submit) submit.disabled = false;
    }
  });

  // Type-ahead: fills the input's datalist from the API as the technician types.
  function bindTypeahead(root) {
    for (const input of root.querySelectorAll('input[data-typeahead]')) typeahead(input);
  }
  function typeahead(input) {
    let timer = null;
    input.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        if (pickedId(input)) return;
        try {
          const data = await api(
            'GET',
            `${input.dataset.typeahead}${input.dataset.typeahead.includes('?') ? '&' : '?'}search=${encodeURIComponent(input.value)}`,
          );
          const list = input.list;
          list.replaceChildren();
          // Namesakes are told apart by their primary domain (or email), never by an id; without
          // one, by how many contacts each documents.
          const describe = (item) => item.emails?.[0] || item.domains?.[0] || 'no domain';
          const seen = new Map();
          for (const item of data.items) {
            const key = `${item.name}|${describe(item)}`;
            seen.set(key, (seen.get(key) || 0) + 1);
          }
          for (const item of data.items) {
            const option = document.createElement('option');
            const extra = describe(item);
            const twin = seen.get(`${item.name}|${extra}`) > 1 && typeof item.contactCount === 'number';
            option.value = `${item.name} (${twin ? `${extra}, ${item.contactCount} contacts` : extra})`;
            // The server matched as search does (case, accents and apostrophes ignored: "obrien" finds
            // O'Brien); the browser filters the list by what is typed, so the label carries the folded
            // name it can match.
            option.label = fold(`${item.name} ${extra}`);
            option.dataset.id = item.id;
            list.append(option);
          }
        } catch (error) {
          say(error.message, 'error');
        }
      }, 150);
    });
  }
  bindTypeahead(document);

  // A running sync: poll its run until it finishes, updating progress, counts and log lines.
  const live = document.querySelector('[data-live-run]');
  if (live) {
    const url = live.dataset.liveRun;
    const log = document.querySelector('[data-log]');
    let after = live.dataset.logAfter || '';
    const tick = async () => {
      try {
        // data-log-filter is the page's level/tenant filter, already URL-encoded by the server.
        const query = [live.dataset.logFilter || '', after ? `logAfter=${encodeURIComponent(after)}` : ''].filter(Boolean).join('&');
        const data = await api('GET', query ? `${url}?${query}` : url);
        const run = data.run;
        const bar = live.querySelector('progress');
        if (bar) {
          bar.max = Math.max(1, run.progress.total);
          bar.value = run.progress.done;
          bar.textContent = `${run.progress.done} of ${run.progress.total}`;
        }
        for (const el of live.querySelectorAll('[data-field]')) {
          const key = el.dataset.field;
          if (key === 'startedAt' || key === 'finishedAt')
            el.textContent = run[key] ? `${run[key].slice(0, 16).replace('T', ' ')} UTC` : 'not yet';
          else
            el.textContent =
              key === 'status'
                ? run.status
                : key === 'phase'
                  ? run.phase || ''
                  : key === 'progress'
                    ? `${run.progress.done} of ${run.progress.total} tenants`
                    : String(run.counts[key] ?? '');
        }
        for (const el of live.querySelectorAll('[data-when-queued]')) el.hidden = run.status !== 'queued';
        await refreshTenants(data);
        if (log) {
          for (const line of data.log) {
            const row = document.createElement('tr');
            for (const value of [line.at.slice(11, 19), line.level, line.code, line.message, line.action || '']) {
              const cell = document.createElement('td');
              cell.textContent = value;
              row.append(cell);
            }
            row.className = `level-${line.level}`;
            log.append(row);
            after = line.id;
          }
        }
        if (run.status === 'queued' || run.status === 'running') setTimeout(tick, 1500);
        else location.reload();
      } catch (error) {
        say(error.message, 'error');
        setTimeout(tick, 5000);
      }
    };
    setTimeout(tick, 1000);
  }

  // Action menus (<details class="menu">): one open at a time; Escape closes it and gives focus back to its summary.
  document.addEventListener(
    'toggle',
    (event) => {
      const menu = event.target;
      if (menu.tagName !== 'DETAILS' || !menu.classList.contains('menu') || !menu.open) return;
      for (const other of document.querySelectorAll('details.menu[open]')) if (other !== menu) other.open = false;
    },
    true,
  );
  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return;
    const menu = event.target.closest && event.target.closest('details.menu[open]');
    if (!menu) return;
    menu.open = false;
    menu.querySelector('summary')?.focus();
  });

  // The run's tenants (running now, done, waiting): the elapsed times follow the API on every poll;
  // when a tenant starts, changes phase or finishes, the section is re-read from the page itself,
  // so it is rendered by the server alone (src/web/pages/operations-pages.ts).
  function elapsedWords(seconds) {
    if (seconds < 60) return `${seconds} s`;
    const minutes = Math.floor(seconds / 60);
    if (minutes < 60) return `${minutes} min ${String(seconds % 60).padStart(2, '0')} s`;
    return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
  }
  async function refreshTenants(data) {
    const section = document.querySelector('[data-live-tenants]');
    if (!section || !data.tenantCounts) return;
    const shown = section.querySelector('[data-tenant-counts]');
    const rows = [...section.querySelectorAll('[data-running-run]')];
    const counts = data.tenantCounts;
    const same =
      shown &&
      shown.dataset.tenantCounts === `${counts.running}/${counts.done}/${counts.waiting}` &&
      rows.length === data.running.length &&
      data.running.every((t) => rows.some((row) => row.dataset.runningRun === t.runId && row.dataset.phase === (t.phase || '')));
    if (same) {
      for (const row of rows) {
        const t = data.running.find((r) => r.runId === row.dataset.runningRun);
        const cell = row.querySelector('[data-elapsed]');
        if (t && cell) cell.textContent = elapsedWords(t.elapsedSeconds);
      }
      return;
    }
    const response = await fetch(location.href, { credentials: 'same-origin', headers: { accept: 'text/html' } });
    if (!response.ok) return;
    const page = new window.DOMParser().parseFromString(await response.text(), 'text/html');
    const fresh = page.querySelector('[data-live-tenants]');
    if (fresh) section.replaceChildren(...fresh.childNodes);
  }

  // A filter box over a list of choices (the onboarding group picker): hides the entries whose
  // text does not contain what is typed, case and accents ignored. Checked entries stay visible.
  for (const input of document.querySelectorAll('input[data-filter-list]')) {
    const list = document.getElementById(input.dataset.filterList);
    if (!list) continue;
    input.addEventListener('input', () => {
      const wanted = fold(input.value.trim());
      for (const item of list.querySelectorAll('[data-filter-text]')) {
        const checked = item.querySelector('input:checked');
        item.hidden = wanted !== '' && !checked && !fold(item.dataset.filterText).includes(wanted);
      }
    });
  }
})();
