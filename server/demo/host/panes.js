/*
 * The emulator's plain page (the browser tests' and the app benchmark's): the app locations of the
 * `config` query parameter side by side, each in a pane named after its location, on zaf.js. The
 * ticket's reply editor shows what ticket.editor.insert puts in. window.__zafHost is the test hook.
 */
/* global window, document, location, URLSearchParams */
(function () {
  'use strict';
  var config = JSON.parse(new URLSearchParams(location.search).get('config') || '{}');
  document.getElementById('account').textContent =
    config.subdomain + '.zendesk.com · ' + (config.user && config.user.locale);

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

  var host = window.zafHost(config, {
    invoke: function (inst, name, args) {
      if (name === 'ticket.editor.insert') editorInsert(inst, args[0]);
    },
  });
  window.__zafHost = host;

  (config.apps || []).forEach(function (spec) {
    var pane = document.createElement('section');
    pane.className = 'pane';
    pane.id = spec.location;
    pane.innerHTML = '<h2></h2>';
    pane.firstChild.textContent = spec.location + (spec.ticketId ? ' · ticket #' + spec.ticketId : '');
    var iframe = host.addApp(spec.location, spec.guid, spec.ticketId);
    if (spec.width) iframe.style.width = spec.width + 'px';
    pane.appendChild(iframe);
    document.querySelector('main').appendChild(pane);
  });
})();
