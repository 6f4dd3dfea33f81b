/*
 * Zendesk's side of the ZAF postMessage protocol (see ../shared/fixtures/zaf and
 * node_modules/zendesk_app_framework_sdk/lib/client.js), shared by the emulator's pages (panes.js: the
 * browser tests' page; workspace.js: the demo's agent workspace). It frames app locations the way
 * Zendesk does (?origin=…&app_guid=…), answers the handshake with app.registered, replies to
 * get/set/invoke, records on: subscriptions, forwards client.request through the emulated proxy
 * (/__proxy), routes instance triggers and delivers framework events.
 *
 *   var zaf = window.zafHost(config, page);
 *
 * config: { subdomain, user: { id, name, locale, … }, settings, appOrigin }. page (all optional):
 *   resolve(inst, path)      a `get` path beyond the user, the account, ticket.id and instances: a value
 *                            or a promise of one (undefined: "unavailable")
 *   set(inst, path, value)   a `set` (the reply is the value set)
 *   invoke(inst, name, args) an `invoke` other than resize (which the host applies to the iframe)
 * inst is { guid, location, ticketId, iframe }. The page places the iframes zaf.addApp makes, and
 * usually exposes zaf as window.__zafHost, the hook of the tests, the benchmark and the demo check.
 */
/* global window, location, performance, fetch, document */
(function () {
  'use strict';
  window.zafHost = function (config, page) {
    page = page || {};
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
          return instances[g];
        });
      },
      /** An iframe for an app location, as Zendesk frames it; the page puts it where it belongs. */
      addApp: function (loc, guid, ticketId) {
        var iframe = document.createElement('iframe');
        iframe.name = guid;
        iframe.title = loc;
        iframe.setAttribute('allow', 'microphone; autoplay; clipboard-write');
        iframe.src =
          config.appOrigin +
          '/' +
          loc +
          '.html?origin=' +
          encodeURIComponent(location.origin) +
          '&app_guid=' +
          guid;
        instances[guid] = { guid: guid, location: loc, ticketId: ticketId, iframe: iframe };
        return iframe;
      },
    };

    function post(inst, message) {
      inst.iframe.contentWindow.postMessage(JSON.stringify(message), config.appOrigin);
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
      var user = config.user || {};
      var values = {
        currentUser: config.user,
        'currentUser.locale': user.locale,
        'currentUser.id': user.id,
        'currentUser.name': user.name,
        'currentUser.email': user.email,
        'currentUser.role': user.role,
        currentAccount: { subdomain: config.subdomain },
        'currentAccount.subdomain': config.subdomain,
        'ticket.id': inst.ticketId,
        instances: Object.keys(instances).reduce(function (acc, g) {
          acc[g] = { location: instances[g].location, instanceGuid: g };
          return acc;
        }, {}),
      };
      if (path in values) return Promise.resolve(values[path]);
      return Promise.resolve(page.resolve ? page.resolve(inst, path) : undefined);
    }

    function proxy(inst, key, options) {
      host.requests.push({ guid: inst.guid, options: options });
      fetch('/__proxy', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ options: options }),
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

    window.addEventListener('message', function (event) {
      if (event.origin !== config.appOrigin) return;
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
        Promise.all(
          msg.params.map(function (p) {
            return resolve(inst, p).then(function (v) {
              if (v === undefined) result.errors[p] = { message: p + ' unavailable' };
              else result[p] = v;
            });
          }),
        ).then(function () {
          post(inst, { id: msg.id, result: result });
        });
        return;
      }
      if (msg.request === 'set') {
        Object.keys(msg.params || {}).forEach(function (k) {
          if (page.set) page.set(inst, k, msg.params[k]);
        });
        post(inst, { id: msg.id, result: Object.assign({ errors: {} }, msg.params) });
        return;
      }
      if (msg.request === 'invoke') {
        host.invocations.push({ location: inst.location, guid: inst.guid, params: msg.params });
        Object.keys(msg.params || {}).forEach(function (name) {
          var args = Array.isArray(msg.params[name]) ? msg.params[name] : [msg.params[name]];
          if (name === 'resize') {
            if (args[0] && args[0].height) inst.iframe.style.height = args[0].height;
          } else if (page.invoke) page.invoke(inst, name, args);
        });
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
      if (/^request:\d+$/.test(msg.key)) proxy(inst, msg.key, msg.message);
    });

    return host;
  };
})();
