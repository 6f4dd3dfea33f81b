/*
 * The Zendesk side of the ZAF postMessage protocol (see ../shared/fixtures/zaf and
 * node_modules/zendesk_app_framework_sdk/lib/client.js): it frames the built app pages the way Zendesk
 * does (?origin=…&app_guid=…), answers the handshake with app.registered, replies to get/set/invoke,
 * forwards client.request through the emulated proxy (/__proxy), routes instance triggers and
 * delivers framework events. window.__zafHost is the test hook.
 */
/* global window, document, location, URLSearchParams, performance, fetch */
(function () {
  'use strict';
  var config = JSON.parse(new URLSearchParams(location.search).get('config') || '{}');
  var APP_ORIGIN = config.appOrigin;
  var instances = {};
  var host = {
    invocations: [],
    subscriptions: [],
    requests: [],
    registeredAt: {},
    emit: function (guid, event, data) {
      var inst = instances[guid];
      if (inst) post(inst, { key: 'zaf.' + event, message: data });
    },
    instances: function () {
      return Object.keys(instances).map(function (g) {
        return { guid: g, location: instances[g].location };
      });
    },
  };
  window.__zafHost = host;
  document.getElementById('account').textContent =
    config.subdomain + '.zendesk.com · ' + (config.user && config.user.locale);

  function post(inst, message) {
    inst.iframe.contentWindow.postMessage(JSON.stringify(message), APP_ORIGIN);
  }

  function context(inst) {
    var ctx = {
      product: 'support',
      location: inst.location,
      instanceGuid: inst.guid,
      account: { subdomain: config.subdomain },
    };
    if (inst.ticketId) ctx.ticketId = inst.ticketId;
    return ctx;
  }

  function resolve(inst, path) {
    var values = {
      currentUser: config.user,
      'currentUser.locale': config.user && config.user.locale,
      'currentUser.id': config.user && config.user.id,
      currentAccount: { subdomain: config.subdomain },
      'ticket.id': inst.ticketId,
      instances: Object.keys(instances).reduce(function (acc, g) {
        acc[g] = { location: instances[g].location, instanceGuid: g };
        return acc;
      }, {}),
    };
    return values[path];
  }

  /** The ticket's reply editor: what ticket.editor.insert puts in (HTML, as Zendesk's rich editor). */
  function editorInsert(inst, html) {
    var id = 'editor-' + inst.guid;
    var pane = document.getElementById(id);
    if (!pane) {
      pane = document.createElement('section');
      pane.className = 'pane editor';
      pane.id = id;
      pane.innerHTML = '<h2></h2><div class="reply" data-testid="reply-editor"></div>';
      pane.firstChild.textContent = 'ticket #' + inst.ticketId + ' · public reply';
      document.querySelector('main').insertBefore(pane, inst.iframe.parentNode);
    }
    pane.querySelector('.reply').innerHTML += html;
  }

  function addApp(spec) {
    var guid = spec.guid;
    var pane = document.createElement('section');
    pane.className = 'pane';
    pane.id = spec.location;
    pane.innerHTML = '<h2></h2>';
    pane.firstChild.textContent = spec.location + (spec.ticketId ? ' · ticket #' + spec.ticketId : '');
    var iframe = document.createElement('iframe');
    iframe.name = guid;
    iframe.title = spec.location;
    iframe.setAttribute('allow', 'microphone; autoplay; clipboard-write');
    if (spec.width) iframe.style.width = spec.width + 'px';
    iframe.src =
      APP_ORIGIN +
      '/' +
      spec.location +
      '.html?origin=' +
      encodeURIComponent(location.origin) +
      '&app_guid=' +
      guid;
    instances[guid] = { guid: guid, location: spec.location, ticketId: spec.ticketId, iframe: iframe };
    pane.appendChild(iframe);
    document.querySelector('main').appendChild(pane);
  }

  window.addEventListener('message', function (event) {
    if (event.origin !== APP_ORIGIN) return;
    var inst = null;
    Object.keys(instances).forEach(function (g) {
      if (instances[g].iframe.contentWindow === event.source) inst = instances[g];
    });
    if (!inst) return;
    var msg = event.data;
    if (typeof msg === 'string') {
      try {
        msg = JSON.parse(msg);
      } catch {
        return;
      }
    }
    if (msg.key === 'iframe.handshake') {
      host.registeredAt[inst.guid] = performance.now();
      post(inst, {
        key: 'zaf.app.registered',
        message: {
          metadata: { appId: 1, installationId: 1, settings: config.settings },
          context: context(inst),
        },
      });
      return;
    }
    if (msg.request === 'get') {
      var result = { errors: {} };
      msg.params.forEach(function (p) {
        var v = resolve(inst, p);
        if (v === undefined) result.errors[p] = { message: p + ' unavailable' };
        else result[p] = v;
      });
      post(inst, { id: msg.id, result: result });
      return;
    }
    if (msg.request === 'set') {
      post(inst, { id: msg.id, result: Object.assign({ errors: {} }, msg.params) });
      return;
    }
    if (msg.request === 'invoke') {
      host.invocations.push({ location: inst.location, guid: inst.guid, params: msg.params });
      var insert = msg.params && msg.params['ticket.editor.insert'];
      if (insert) editorInsert(inst, insert[0]);
      var resize = msg.params && msg.params.resize;
      if (resize && resize[0] && resize[0].height) inst.iframe.style.height = resize[0].height;
      post(inst, { id: msg.id, result: { errors: {} } });
      return;
    }
    if (typeof msg.key !== 'string') return;
    if (msg.key.indexOf('iframe.on:') === 0) {
      host.subscriptions.push({ guid: inst.guid, event: msg.key.slice('iframe.on:'.length) });
      return;
    }
    if (msg.key.indexOf('iframe.trigger:') === 0) {
      var target = instances[msg.instanceGuid];
      if (target)
        post(target, { key: 'zaf.' + msg.key.slice('iframe.trigger:'.length), message: msg.message });
      return;
    }
    if (/^request:\d+$/.test(msg.key)) {
      var key = msg.key;
      host.requests.push({ guid: inst.guid, options: msg.message });
      fetch('/__proxy', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ options: msg.message }),
      })
        .then(function (r) {
          return r.json();
        })
        .then(function (res) {
          if (res.status >= 200 && res.status < 300)
            post(inst, { key: 'zaf.' + key + '.done', message: { responseArgs: [res.body] } });
          else
            post(inst, {
              key: 'zaf.' + key + '.fail',
              message: { responseArgs: [{ status: res.status, responseText: res.text }] },
            });
        });
    }
  });

  (config.apps || []).forEach(addApp);
})();
