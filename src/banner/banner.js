// consent-edge banner script: the client half of the contract documented in
// src/banner/mod.rs. Inlined into every page that gets the banner, after the
// banner markup; minified at build time by esbuild (buildscript/minify.rs),
// so this source is written for reading. ES5 syntax on purpose: it runs
// unchanged wherever the banner's HTML does.
//
// What it does:
// - opens/closes the preferences dialog (`[data-consent-open]`, Escape);
// - posts the visitor's choice as JSON to the consent endpoint, and falls
//   back to a plain form submit if that fails;
// - after a change, activates what is now granted without a reload: inert
//   scripts become live scripts, stashed URL attributes are restored,
//   hidden iframes shown and their placeholders removed;
// - forwards the choice to Google Consent Mode, Microsoft UET and Clarity
//   when the banner says so (`data-signals`);
// - tells the client guard (src/banner/guard.js, `consentEdgeGuard`) first,
//   so what it held is released and what this script re-creates is not held
//   again;
// - passes the decision to same-origin frames (postMessage, checked against
//   `location.origin`), whose own copy of this script runs in frame mode.
//
// Only elements the worker neutralised in THIS response are activated: the
// filter stamps them with a per-response random token (`data-consent-token`)
// that the root carries in `data-token`; look-alike markup in the page
// (a forged `script[type=text/plain][data-consent-category=necessary]`, a
// forged placeholder) has no token, or a stale one, and stays inert.
//
// Frame mode (`data-frame="1"` on the root, what the worker renders for
// `Sec-Fetch-Dest: iframe`; or any same-origin framed page): no dialog, no
// second banner; the top page's decision arrives by postMessage and is
// activated like a decision made here.
(function () {
  var doc = document;
  // The root is this script's own parent, the banner the worker rendered:
  // never looked up by id, which any earlier element of the page could
  // claim (and then steer the script with its own data-* attributes).
  var self = doc.currentScript;
  var root = self && self.parentNode;
  // Once per page, even if the banner markup were inserted twice.
  if (!root || root.id !== 'consent-edge' || root.ceInit) return;
  root.ceInit = 1;
  // Styles that only apply when the script runs (no-JS pages use :target).
  root.classList.add('ce-js');
  var win = window;
  // The activation token of this response (see above); hex from the worker.
  var token = root.getAttribute('data-token') || '';
  if (!/^[0-9a-f]+$/.test(token)) token = '';
  // In a same-origin frame: the top page's banner decides, not this one.
  var framed = root.getAttribute('data-frame') === '1' || sameOriginParent();
  // (CSSOM, which a CSP allows: the stylesheet's reveal rule beats `hidden`.)
  if (framed) root.style.setProperty('display', 'none', 'important');

  /** Whether this document is framed by a page of its own origin. */
  function sameOriginParent() {
    try {
      return win.parent !== win && win.parent.location.origin === location.origin;
    } catch (e) {
      return false;
    }
  }

  var dialog = framed ? null : root.querySelector('.ce-dialog');
  // Absolute on this origin: a <base href> in the page cannot send the
  // visitor's decision elsewhere.
  var endpoint = new URL(root.getAttribute('data-endpoint') || '/', location.origin).href;
  // The optional categories, in the order of the banner's toggles.
  var CATEGORIES = ['functional', 'analytics', 'advertising'];
  // Space-padded so `has()` can look for whole words.
  var signalList = ' ' + (root.getAttribute('data-signals') || '') + ' ';
  // The URL attributes the filter may have moved to `data-consent-<attr>`;
  // the list comes from Rust (crate::markup::URL_ATTRS), never from here.
  var urlAttrs = (root.getAttribute('data-attrs') || '').split(' ').filter(Boolean);
  // The element that had focus before the dialog opened (given back on close).
  var previousFocus = null;
  // The last `button[name=action]` clicked (for browsers without e.submitter).
  var lastSubmitter = null;

  /** Whether space-separated list `list` contains `word`. */
  function has(list, word) {
    return (' ' + list + ' ').indexOf(' ' + word + ' ') >= 0;
  }

  /** The current grants, from the root's `data-grants`. */
  function currentGrants() {
    var grants = {};
    var list = root.getAttribute('data-grants') || '';
    CATEGORIES.forEach(function (c) {
      grants[c] = has(list, c);
    });
    return grants;
  }

  /** Opens the dialog (with the category toggles if `customize`). */
  function show(customize) {
    if (!dialog) return;
    if (dialog.hidden) previousFocus = doc.activeElement;
    dialog.hidden = false;
    if (customize) {
      var details = dialog.querySelector('details');
      if (details) details.open = true;
    }
    dialog.focus({ preventScroll: true });
  }

  /** Closes the dialog, drops the no-JS `#ce-dialog` fragment, restores focus. */
  function hide() {
    if (!dialog) return;
    dialog.hidden = true;
    if (location.hash === '#ce-dialog' && history.replaceState) {
      history.replaceState(null, '', location.pathname + location.search);
    }
    var p = previousFocus;
    previousFocus = null;
    if (p && p.focus && p !== doc.body && doc.contains(p)) p.focus();
  }

  function state(granted) {
    return granted ? 'granted' : 'denied';
  }

  /** Tells the vendors' own consent APIs (when enabled) about `grants`. */
  function sendSignals(grants) {
    var ads = state(grants.advertising);
    var analytics = state(grants.analytics);
    var functional = state(grants.functional);
    var w = window;
    if (has(signalList, 'gtag') && typeof w.gtag === 'function') {
      w.gtag('consent', 'update', {
        ad_storage: ads,
        ad_user_data: ads,
        ad_personalization: ads,
        analytics_storage: analytics,
        functionality_storage: functional,
        personalization_storage: functional
      });
    }
    if (has(signalList, 'uet') && w.uetq && w.uetq.push) {
      w.uetq.push('consent', 'update', { ad_storage: ads });
    }
    if (has(signalList, 'clarity') && typeof w.clarity === 'function') {
      w.clarity('consentv2', { ad_Storage: ads, analytics_Storage: analytics });
    }
  }

  /**
   * Whether every category `el` waits for (`data-consent-category`, or the
   * author's `data-consent`; several may be listed) is granted.
   */
  function allowed(el, grants) {
    var wanted = (el.getAttribute('data-consent-category') || el.getAttribute('data-consent') || '')
      .split(/[\s,]+/)
      .filter(Boolean);
    return wanted.length > 0 && wanted.every(function (c) {
      return c === 'necessary' || grants[c] === true;
    });
  }

  /**
   * `document.write` from a script this code activated: insert the markup
   * right after that script (as the parser would have) instead of
   * replacing the loaded page. False when the caller is not such a script.
   */
  function writeAfterCurrentScript(args, newline) {
    var script = doc.currentScript;
    if (!script || !script.ceOn || !script.parentNode) return false;
    // An empty text node after the script marks where its writes go, in order.
    var marker = script.ceAt;
    if (!marker) {
      marker = script.ceAt = doc.createTextNode('');
      script.parentNode.insertBefore(marker, script.nextSibling);
    }
    var range = doc.createRange();
    range.selectNode(marker);
    var fragment = range.createContextualFragment([].join.call(args, '') + (newline ? '\n' : ''));
    // Scripts written this way may write too.
    fragment.querySelectorAll('script').forEach(function (s) {
      s.ceOn = 1;
    });
    marker.parentNode.insertBefore(fragment, marker);
    return true;
  }

  /** Whether `url` is an http(s) URL once resolved (relative ones are). */
  function isWebUrl(url) {
    try {
      var scheme = new URL(url, doc.baseURI).protocol;
      return scheme === 'http:' || scheme === 'https:';
    } catch (e) {
      return false;
    }
  }

  /**
   * Whether a stashed value may be put back as attribute `attr`: only web
   * URLs (every candidate of a srcset, every URL of a ping), never
   * `javascript:` or `data:`. `srcdoc` is a document, not a URL: restored
   * only where the filter stashed it (`data-consent-category`, no author
   * tag), never from the page's own markup.
   */
  function restorable(el, attr, value) {
    if (attr === 'srcdoc') return el.hasAttribute('data-consent-category') && !el.hasAttribute('data-consent');
    if (attr === 'srcset') {
      return value.split(',').every(function (candidate) {
        var url = candidate.trim().split(/\s+/)[0];
        return !url || isWebUrl(url);
      });
    }
    if (attr === 'ping') return value.split(/\s+/).filter(Boolean).every(isWebUrl);
    return isWebUrl(value);
  }

  /** Wraps document.write/writeln once (see writeAfterCurrentScript). */
  function patchDocumentWrite() {
    if (doc.ceW) return;
    doc.ceW = 1;
    var write = doc.write;
    var writeln = doc.writeln;
    doc.write = function () {
      if (!writeAfterCurrentScript(arguments)) return write.apply(doc, arguments);
    };
    doc.writeln = function () {
      if (!writeAfterCurrentScript(arguments, 1)) return writeln.apply(doc, arguments);
    };
  }

  /**
   * Replaces an inert `<script type="text/plain">` by a live copy: other
   * attributes and text kept, `type` from `data-consent-type`, `src` from
   * `data-consent-src`, nonce carried over, execution order kept.
   */
  function activateScript(inert) {
    patchDocumentWrite();
    var live = doc.createElement('script');
    live.ceOn = 1;
    for (var i = 0; i < inert.attributes.length; i++) {
      var a = inert.attributes[i];
      if (a.name !== 'type' && a.name !== 'nonce' && a.name.indexOf('data-consent') !== 0) {
        live.setAttribute(a.name, a.value);
      }
    }
    var type = inert.getAttribute('data-consent-type');
    if (type) live.type = type;
    var src = inert.getAttribute('data-consent-src');
    if (src && isWebUrl(src)) live.src = src;
    if (inert.nonce) live.nonce = inert.nonce;
    // Dynamically inserted scripts are async by default; keep page order.
    if (!inert.hasAttribute('async')) live.async = false;
    live.text = inert.text;
    inert.parentNode.replaceChild(live, inert);
  }

  /** Restores an inert element's URL attributes, unhides it, drops its placeholder. */
  function activateElement(el) {
    urlAttrs.forEach(function (attr) {
      var value = el.getAttribute('data-consent-' + attr);
      if (value !== null && restorable(el, attr, value)) {
        el.setAttribute(attr, value);
        el.removeAttribute('data-consent-' + attr);
      }
    });
    if (el.hasAttribute('data-consent-hidden')) {
      el.hidden = false;
      el.removeAttribute('data-consent-hidden');
    }
    var prev = el.previousElementSibling;
    if (prev && prev.matches('.consent-edge-placeholder[data-consent-placeholder]' + ours())) {
      prev.parentNode.removeChild(prev);
    }
    // A <source> changed under a playing <video>/<audio> needs a reload.
    var parent = el.parentNode;
    if (el.nodeName === 'SOURCE' && parent && parent.load) parent.load();
  }

  /** The selector of this response's token ('' when there is none). */
  function ours() {
    return token ? '[data-consent-token="' + token + '"]' : '';
  }

  /**
   * Tells the client guard what is granted: what it held is released, and
   * what `activate` re-creates next (or a vendor's API loads on the consent
   * update) is not held again. First thing after a decision.
   */
  function releaseGuard(grants) {
    var guard = win.consentEdgeGuard;
    if (guard && typeof guard.grant === 'function') {
      guard.grant(CATEGORIES.filter(function (c) {
        return grants[c];
      }));
    }
  }

  /** Activates this response's inert elements that `grants` now allows. */
  function activate(grants) {
    var t = ours();
    if (!t) return;
    doc.querySelectorAll('script[type="text/plain"]' + t).forEach(function (s) {
      if (allowed(s, grants)) activateScript(s);
    });
    doc.querySelectorAll(t + ':not(script):not([data-consent-placeholder])').forEach(function (el) {
      if (allowed(el, grants)) activateElement(el);
    });
    // Same-origin frames take the same decision (their script, frame mode).
    for (var i = 0; i < win.frames.length; i++) {
      try {
        win.frames[i].postMessage({ consentEdge: grants }, location.origin);
      } catch (e) {
        /* a cross-origin frame: not ours */
      }
    }
  }

  /** Fills the `[data-consent-field]`s of a consent status block from the endpoint's answer. */
  function updateStatusFields(answer) {
    function fields(name, f) {
      doc.querySelectorAll('[data-consent-field=' + name + ']').forEach(f);
    }
    if (answer.consent_id) {
      fields('id', function (e) {
        e.textContent = answer.consent_id;
      });
      fields('meta', function (e) {
        e.hidden = false;
      });
      fields('undecided', function (e) {
        e.hidden = true;
      });
    }
    if (typeof answer.decided_at === 'number') {
      var iso = new Date(answer.decided_at * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
      fields('date', function (e) {
        e.textContent = iso;
        e.setAttribute('datetime', iso);
      });
    }
    if (typeof answer.method === 'string') {
      fields('method', function (e) {
        var label = e.getAttribute('data-method-' + answer.method.replace(/_/g, '-'));
        if (label) e.textContent = label;
      });
    }
  }

  /** A decision was recorded: reflect it everywhere, activate, close. */
  function apply(grants, answer) {
    root.setAttribute('data-grants', CATEGORIES.filter(function (c) {
      return grants[c];
    }).join(' '));
    root.setAttribute('data-decided', '1');
    root.querySelectorAll('input[type=checkbox]').forEach(function (input) {
      if (CATEGORIES.indexOf(input.name) >= 0) input.checked = !!grants[input.name];
    });
    doc.querySelectorAll('[data-consent-state]').forEach(function (e) {
      var c = e.getAttribute('data-consent-state');
      if (CATEGORIES.indexOf(c) >= 0) e.textContent = e.getAttribute(grants[c] ? 'data-on' : 'data-off');
    });
    updateStatusFields(answer);
    releaseGuard(grants);
    sendSignals(grants);
    activate(grants);
    hide();
    doc.dispatchEvent(new CustomEvent('consent-edge:change', { detail: { categories: grants } }));
  }

  /**
   * Posts `body` to the endpoint. On success the endpoint's categories win
   * over the `grants` we asked for; on failure `form` (if any) is submitted
   * the no-JS way with `action`.
   */
  function send(body, grants, form, action) {
    fetch(endpoint, {
      method: 'POST',
      credentials: 'same-origin',
      // The per-render token the worker put on this banner (h11: the
      // endpoint refuses changes without it).
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json',
        'X-Consent-Token': root.getAttribute('data-form-token') || ''
      },
      body: JSON.stringify(body)
    })
      .then(function (r) {
        if (!r.ok) throw r;
        return r.json().catch(function () {
          return {};
        });
      })
      .then(function (answer) {
        answer = answer || {};
        var cats = answer.categories;
        var granted = grants;
        if (cats && typeof cats === 'object') {
          granted = {};
          CATEGORIES.forEach(function (k) {
            granted[k] = cats[k] === true;
          });
        }
        apply(granted, answer);
      })
      .catch(function () {
        if (form) {
          var input = doc.createElement('input');
          input.type = 'hidden';
          input.name = 'action';
          input.value = action;
          form.appendChild(input);
          form.submit();
        }
      });
  }

  doc.addEventListener('click', function (e) {
    var t = e.target;
    if (!t || !t.closest) return;
    var opener = t.closest('[data-consent-open]');
    if (opener) {
      e.preventDefault();
      show(opener.getAttribute('data-consent-open') === 'customize');
      return;
    }
    // A placeholder's "Allow": grant that one category, keep the others.
    // Only in a placeholder (what the filter puts before a hidden iframe),
    // not any element of the page that carries the attribute.
    var allow = ours() && t.closest('.consent-edge-placeholder[data-consent-placeholder]' + ours() + ' [data-consent-allow]');
    if (allow) {
      e.preventDefault();
      var grants = currentGrants();
      var category = allow.getAttribute('data-consent-allow');
      if (CATEGORIES.indexOf(category) >= 0) {
        grants[category] = true;
        send({ categories: grants }, grants);
      }
      return;
    }
    var button = t.closest('button[name=action]');
    if (button) lastSubmitter = button;
  });

  /**
   * Whether `form` is consent UI the worker made: the banner's own forms,
   * and `form[data-consent-form]` inside `[data-consent-status]` (whose
   * whole content the filter replaces with the worker's status block).
   * Other forms of the page are left to the browser.
   */
  function workerForm(form) {
    if (root.contains(form)) return true;
    return form.hasAttribute('data-consent-form') && !!form.closest('[data-consent-status]');
  }

  doc.addEventListener('submit', function (e) {
    var form = e.target;
    if (!form || !form.closest || !workerForm(form)) return;
    e.preventDefault();
    var button = e.submitter || lastSubmitter;
    var action = (button && button.value) || 'save';
    var grants = {};
    lastSubmitter = null;
    // "Do not sell or share": refuse advertising, keep the rest.
    if (button && button.hasAttribute('data-ce-dns')) {
      grants = currentGrants();
      grants.advertising = false;
      return send({ categories: grants }, grants, form, action);
    }
    if (action === 'save') {
      var data = new FormData(form);
      CATEGORIES.forEach(function (c) {
        grants[c] = data.get(c) === 'on';
      });
      return send({ categories: grants }, grants, form, action);
    }
    CATEGORIES.forEach(function (c) {
      grants[c] = action === 'accept_all';
    });
    send({ action: action }, grants, form, action);
  });

  if (dialog) {
    dialog.addEventListener('keydown', function (e) {
      if (e.key !== 'Escape') return;
      // Undecided: the dialog stays (no decision was made), focus goes back.
      if (root.getAttribute('data-decided') === '1') hide();
      else if (previousFocus && previousFocus.focus && previousFocus !== doc.body) previousFocus.focus();
    });
  }

  // Frame mode: the parent (same origin, checked twice: the message's
  // origin and its source) passes the top page's decision down.
  win.addEventListener('message', function (e) {
    if (!framed || e.origin !== location.origin || e.source !== win.parent) return;
    var g = e.data && e.data.consentEdge;
    if (!g || typeof g !== 'object') return;
    var grants = {};
    CATEGORIES.forEach(function (c) {
      grants[c] = g[c] === true;
    });
    apply(grants, {});
  });

  if (root.getAttribute('data-decided') === '1') {
    // Vendors loaded with the page learn the stored choice.
    sendSignals(currentGrants());
  } else if (dialog && !dialog.hidden) {
    previousFocus = doc.activeElement;
    dialog.focus({ preventScroll: true });
  }
})();
