/*
 * The demo's agent workspace on the emulator's ZAF protocol (zaf.js), with the data of the Zendesk
 * double: a ticket list, the ticket view with its reply editor (ticket.*, comment.* and the editor
 * calls act on it), the top bar softphone as a popover and the nav bar as a view of its own.
 * window.__zafHost is the hook the demo's browser check uses (zaf.js's, plus openTicket, showView and
 * ticketId).
 */
/* global window, document, fetch, setInterval, setTimeout */
(function () {
  'use strict';
  var zaf = null;
  var openTicketId = null;
  var ticketCache = {};
  var host = {
    openTicket: function (id) {
      follow().checked = false;
      showView('tickets');
      return openTicket(id);
    },
    showView: function (name) {
      showView(name);
    },
    ticketId: function () {
      return openTicketId;
    },
  };
  window.__zafHost = host;

  function $(id) {
    return document.getElementById(id);
  }
  function follow() {
    return $('follow');
  }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      e.setAttribute(k, attrs[k]);
    });
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function toast(text) {
    var t = el('div', {}, text);
    $('toasts').appendChild(t);
    setTimeout(function () {
      t.remove();
    }, 5000);
  }

  function loadTicket(id) {
    return fetch('/demo/tickets/' + id)
      .then(function (r) {
        return r.json();
      })
      .then(function (body) {
        if (body.ticket) ticketCache[id] = body.ticket;
        return body.ticket;
      });
  }

  function zafUser(u) {
    return { id: u.id, name: u.name, role: u.role === 'end-user' ? 'end-user' : u.role };
  }

  /** ZAF's ticket.* paths, from the double's ticket. */
  function ticketValue(t, path) {
    var comments = (t.comments || []).map(function (c, i) {
      return {
        id: t.id * 1000 + i + 1,
        value: c.body,
        author: zafUser(c.author),
        channel: c.voice ? 'voice' : 'api',
        isPublic: c.public,
        imageAttachments: [],
        nonImageAttachments: [],
      };
    });
    var values = {
      ticket: { id: t.id, subject: t.subject, status: t.status, externalId: t.externalId, tags: t.tags },
      'ticket.id': t.id,
      'ticket.subject': t.subject,
      'ticket.status': t.status,
      'ticket.externalId': t.externalId,
      'ticket.tags': t.tags,
      'ticket.requester': zafUser(t.requester),
      'ticket.assignee': { user: t.assignee ? zafUser(t.assignee) : null, group: null },
      'ticket.description': comments.length ? comments[0].value : '',
      'ticket.comments': comments,
      'ticket.conversation': (t.comments || []).map(function (c) {
        return {
          author: zafUser(c.author),
          channel: { name: c.voice ? 'voice' : 'api' },
          message: { content: c.body, contentType: 'text/plain' },
          timestamp: c.createdAt,
        };
      }),
      'ticket.createdAt': t.createdAt,
      'ticket.updatedAt': t.updatedAt,
      'ticket.comment.text': $('editor') ? $('editor').value : '',
      'comment.text': $('editor') ? $('editor').value : '',
    };
    return values[path];
  }

  /** The ticket.* and comment.* paths, from the open ticket of the double. */
  function resolveTicket(inst, path) {
    if (!/^(ticket|comment)\b/.test(path) || !inst.ticketId) return undefined;
    var cached = ticketCache[inst.ticketId];
    return (cached ? Promise.resolve(cached) : loadTicket(inst.ticketId)).then(function (t) {
      return t ? ticketValue(t, path) : undefined;
    });
  }

  function addApp(location, guid, parent, ticketId) {
    parent.appendChild(zaf.addApp(location, guid, ticketId));
  }

  function instanceOf(guid) {
    return zaf.instances().filter(function (inst) {
      return inst.guid === guid;
    })[0];
  }

  /** ticket.editor.insert takes HTML (Zendesk's editor is rich text); this editor holds its text. */
  function htmlToText(html) {
    var doc = new window.DOMParser().parseFromString(
      String(html)
        .replace(/<br\s*\/?>/gi, '\n')
        .replace(/<\/(p|li|div)>/gi, '$&\n'),
      'text/html',
    );
    return (doc.body.textContent || '').replace(/\n{3,}/g, '\n\n').trim();
  }

  /** Tells the demo a person is writing on this ticket, so its replay does not solve it for them. */
  function drafting() {
    var id = Number($('ticket').dataset.ticketId);
    if (id) fetch('/demo/tickets/' + id + '/drafting', { method: 'POST' });
  }

  function editorInsert(text, replace) {
    var editor = $('editor');
    if (!editor) return;
    text = /<[a-z][\s\S]*>/i.test(text) ? htmlToText(text) : text;
    drafting();
    if (replace) editor.value = text;
    else editor.value = editor.value ? editor.value + '\n' + text : text;
    editor.focus();
  }

  function invoke(inst, name, args) {
    if (name === 'popover') {
      if (args[0] === 'show' || args[0] === 'toggle') setSoftphone(args[0] === 'toggle' ? null : true);
      if (args[0] === 'hide') setSoftphone(false);
    } else if (name === 'routeTo' && args[0] === 'ticket') host.openTicket(Number(args[1]));
    else if (
      name === 'ticket.editor.insert' ||
      name === 'comment.appendText' ||
      name === 'ticket.comment.appendText'
    )
      editorInsert(String(args[0] == null ? '' : args[0]), false);
    else if (name === 'notify') toast(String(args[0]));
  }

  function set(inst, path, value) {
    if (path === 'comment.text' || path === 'ticket.comment.text') editorInsert(String(value), true);
  }

  // --- the workspace ---------------------------------------------------------------------------

  function setSoftphone(open) {
    var pane = $('top_bar-pane');
    var next = open === null ? !pane.classList.contains('open') : open;
    pane.classList.toggle('open', next);
    $('softphone-toggle').setAttribute('aria-expanded', String(next));
  }

  function showView(name) {
    document.querySelectorAll('.view').forEach(function (v) {
      v.classList.toggle('active', v.id === name + '-view');
    });
    document.querySelectorAll('#rail button').forEach(function (b) {
      b.setAttribute('aria-pressed', String(b.dataset.view === name));
    });
    if (name === 'nav_bar' && !instanceOf('nav-bar-1')) {
      addApp('nav_bar', 'nav-bar-1', $('nav_bar-view'));
    } else if (name === 'nav_bar') {
      host.emit('nav-bar-1', 'app.activated', { firstLoad: false });
    }
  }

  function renderTicket(t) {
    var box = $('ticket');
    var keepDraft = $('editor') && box.dataset.ticketId === String(t.id) ? $('editor').value : '';
    box.dataset.ticketId = String(t.id);
    box.innerHTML = '';
    var head = el('div', { id: 'ticket-head' });
    head.appendChild(el('h1', { 'data-testid': 'ticket-subject' }, t.subject + ' · #' + t.id));
    var meta = el('div');
    meta.appendChild(
      el('span', { class: 'status status-' + t.status, 'data-testid': 'ticket-status' }, t.status),
    );
    meta.appendChild(
      document.createTextNode(
        'Requester: ' +
          t.requester.name +
          (t.assignee ? ' · Assignee: ' + t.assignee.name : '') +
          ' · ' +
          t.tags.join(' '),
      ),
    );
    head.appendChild(meta);
    box.appendChild(head);
    var conv = el('div', { id: 'conversation' });
    t.comments.forEach(function (c) {
      var div = el('div', { class: 'comment' + (c.public ? '' : ' internal') });
      div.appendChild(
        el(
          'div',
          { class: 'who' },
          c.author.name +
            (c.public ? '' : ' · internal note') +
            ' · ' +
            new Date(c.createdAt).toLocaleTimeString(),
        ),
      );
      var text = c.body;
      if (c.voice)
        text =
          (text ? text + '\n' : '') +
          'Voice call · from ' +
          (c.voice.from || '?') +
          ' · ' +
          (c.voice.call_duration || 0) +
          ' s' +
          (c.voice.recording_url ? ' · recording ' + c.voice.recording_url : '');
      div.appendChild(document.createTextNode(text));
      conv.appendChild(div);
    });
    box.appendChild(conv);
    var composer = el('div', { id: 'composer' });
    var editor = el('textarea', { id: 'editor', 'aria-label': 'Public reply', placeholder: 'Public reply…' });
    editor.value = keepDraft;
    editor.addEventListener('input', function () {
      if (!editor.dataset.drafting) drafting();
      editor.dataset.drafting = '1';
    });
    composer.appendChild(editor);
    var row = el('div', { class: 'row' });
    [
      ['Submit as Open', 'open', ''],
      ['Submit as Solved', 'solved', 'primary'],
    ].forEach(function (b) {
      var btn = el('button', { type: 'button', class: b[2] }, b[0]);
      btn.addEventListener('click', function () {
        submit(t.id, b[1]);
      });
      row.appendChild(btn);
    });
    composer.appendChild(row);
    box.appendChild(composer);
  }

  function submit(id, status) {
    var body = $('editor').value;
    fetch('/demo/tickets/' + id + '/reply', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ body: body, public: true, status: status }),
    })
      .then(function (r) {
        return r.json();
      })
      .then(function (res) {
        if (res.error) return toast(res.error.message);
        $('editor').value = '';
        ticketCache[id] = res.ticket;
        renderTicket(res.ticket);
        toast('Ticket #' + id + ' updated: ' + status);
      });
  }

  function openTicket(id) {
    if (!id) return Promise.resolve();
    var changed = openTicketId !== id;
    openTicketId = id;
    return loadTicket(id).then(function (t) {
      if (!t || openTicketId !== id) return;
      if (changed || $('ticket').dataset.ticketId !== String(id) || !$('editor')) renderTicket(t);
      else if (
        t.comments.length !== Number($('ticket').dataset.comments || 0) ||
        t.status !== $('ticket').dataset.status
      )
        renderTicket(t);
      $('ticket').dataset.comments = String(t.comments.length);
      $('ticket').dataset.status = t.status;
      var guid = 'sidebar-' + id;
      zaf.instances().forEach(function (inst) {
        if (inst.location === 'ticket_sidebar')
          inst.iframe.style.display = inst.guid === guid ? 'block' : 'none';
      });
      if (!instanceOf(guid)) addApp('ticket_sidebar', guid, $('ticket_sidebar-frames'), id);
      document.querySelectorAll('#tickets button').forEach(function (b) {
        b.setAttribute('aria-current', String(b.dataset.id === String(id)));
      });
    });
  }

  function renderList(tickets) {
    var ul = $('tickets');
    ul.innerHTML = '';
    tickets.forEach(function (t) {
      var li = el('li');
      var b = el('button', {
        type: 'button',
        'data-id': String(t.id),
        'aria-current': String(t.id === openTicketId),
      });
      b.appendChild(el('span', { class: 'status status-' + t.status }, t.status.slice(0, 1)));
      b.appendChild(document.createTextNode('#' + t.id + ' ' + t.subject));
      b.addEventListener('click', function () {
        host.openTicket(t.id);
      });
      li.appendChild(b);
      ul.appendChild(li);
    });
  }

  function poll() {
    fetch('/demo/state')
      .then(function (r) {
        return r.json();
      })
      .then(function (state) {
        var ledger = state.ledger || {};
        $('ledger-count').textContent = String(
          Object.keys(ledger).reduce(function (n, k) {
            return n + ledger[k];
          }, 0),
        );
        $('ledger-count').title = Object.keys(ledger)
          .map(function (k) {
            return k + ': ' + ledger[k];
          })
          .join(', ');
        $('calls').textContent = String(state.calls || 0);
        renderList(state.tickets || []);
        var call = state.agentCall;
        if (follow().checked && call && call.ticketId && call.ticketId !== openTicketId)
          openTicket(call.ticketId);
        else if (openTicketId) openTicket(openTicketId);
      })
      .catch(function () {
        return undefined;
      });
  }

  fetch('/demo/config')
    .then(function (r) {
      return r.json();
    })
    .then(function (c) {
      zaf = window.zafHost(c, { resolve: resolveTicket, set: set, invoke: invoke });
      Object.assign(host, zaf);
      $('account').textContent = c.subdomain + '.zendesk.com (local double) · ' + c.user.name;
      var rail = $('rail');
      var views = [['tickets', 'Tickets']];
      if (c.locations.indexOf('nav_bar') >= 0) {
        views.push(['nav_bar', 'Concierge']);
        var view = el('section', { id: 'nav_bar-view', class: 'view', 'aria-label': 'Concierge' });
        $('layout').insertBefore(view, $('top_bar-pane'));
      }
      views.forEach(function (v) {
        var b = el(
          'button',
          { type: 'button', 'data-view': v[0], 'aria-pressed': String(v[0] === 'tickets') },
          v[1],
        );
        b.addEventListener('click', function () {
          showView(v[0]);
        });
        rail.appendChild(b);
      });
      $('softphone-toggle').addEventListener('click', function () {
        setSoftphone(null);
      });
      // Zendesk loads top bar apps with the page; the popover shows or hides them.
      addApp('top_bar', 'top-bar-1', $('top_bar-pane'));
      setSoftphone(true);
      poll();
      setInterval(poll, 1500);
    });
})();
