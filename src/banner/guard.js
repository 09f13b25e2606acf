/*
 * consent-edge client guard.
 *
 * The worker's HTML filter neutralises every tracker that is in the page's
 * markup; this script handles what allowed code adds at run time (a tag
 * manager's Custom HTML tags, `new Image().src`, lazy-load plugins, beacons).
 * The worker injects it inline, first in <head>, with the CSP nonce, before
 * any page script, and only when some category is refused.
 *
 * Configuration: JSON in the `data-ce-guard` attribute of this very script element
 * (read through document.currentScript, so no other element can steer it),
 * built by src/guard.rs:
 *   {"r": [refused categories: 1 functional, 2 analytics, 3 advertising],
 *    "a": [indexes in c of vendors the page allows outright],
 *    "c": [[vendor id, category (0 necessary = allowed outright, 1-3),
 *           "host host/path-prefix ..."], ...]}
 * `c` is the whole catalog's host table, the same on every page (written
 * once by build.rs: src/guard/table.rs). Matching is the catalog's
 * (src/trackers.rs): the most specific host wins, on one host longer path
 * prefixes first, prefixes at a segment boundary; a URL is held when the
 * winning entry's category is refused.
 *
 * What is held, and how:
 *  - elements (script, img, iframe, frame, embed, object, video, audio,
 *    source, track, link, input, a/area ping): turned into the filter's inert
 *    form, so Accept activates them without a reload: a script keeps its
 *    `src` but becomes `type="text/plain"` (original type in
 *    `data-consent-type`); any other URL attribute moves to
 *    `data-consent-<attr>`; iframes are hidden (`hidden data-consent-hidden`);
 *    all get `data-consent-category`, `data-consent-vendor`, and
 *    `data-consent-guard` = a random token of this page view.
 *    Entry points: the URL property setters, setAttribute(NS), the insertion
 *    APIs, innerHTML / outerHTML / insertAdjacentHTML / setHTMLUnsafe,
 *    document.write(ln), Range#createContextualFragment.
 *  - requests (navigator.sendBeacon, fetch, XMLHttpRequest): dropped quietly.
 *    sendBeacon returns true, fetch resolves with an empty 204 response, an
 *    XHR is opened but never sent. Nothing throws into the page.
 *
 * API (frozen, on window.consentEdgeGuard, not writable):
 *   grant(["analytics", ...])  the visitor granted these: stop holding them
 *                              and activate what was held for them.
 *   refused()                  the categories still refused.
 * The banner must call grant() BEFORE it activates the filter's inert
 * elements, or its re-created scripts would be held again.
 *
 * Threat model: page markup (HTML injection, user content) cannot configure
 * or steer the guard; the natives it relies on are captured before any page
 * script runs. Page *scripts* run in the same realm and are not contained:
 * the guard stops honest loaders from bringing refused vendors in, it is
 * not a sandbox (the CSP backstop is the layer for that).
 * Not covered (documented gaps): the own prototypes of nested frames
 * (about:blank, srcdoc, same-origin documents without their own guard),
 * SVG image/script href, CSS url(), WebSocket and EventSource, workers,
 * markup split across several document.write calls (a written fragment
 * holding a refused URL is re-serialised whole, so its open tags close),
 * inline scripts recognised only by their text (the server's signatures).
 */
(function () {
  'use strict';
  var w = window, d = document, me = d.currentScript;
  if (!me || Object.prototype.hasOwnProperty.call(w, 'consentEdgeGuard')) return;

  // --- Natives, captured before any page script can replace them. --------
  var apply = Reflect.apply, defineProperty = Object.defineProperty;
  var getDescriptor = Object.getOwnPropertyDescriptor, freeze = Object.freeze;
  var isArray = Array.isArray, URL_ = w.URL, JSONparse = JSON.parse, Response_ = w.Response;
  var Request_ = w.Request, Promise_ = w.Promise, Set_ = w.Set;
  var EP = Element.prototype, NP = Node.prototype, DP = Document.prototype;
  var getAttr = EP.getAttribute, setAttr = EP.setAttribute, hasAttr = EP.hasAttribute;
  var removeAttr = EP.removeAttribute, qsa = EP.querySelectorAll;
  var fragQsa = DocumentFragment.prototype.querySelectorAll, docQsa = DP.querySelectorAll;
  var nAppendChild = NP.appendChild, nInsertBefore = NP.insertBefore;
  var nReplaceChild = NP.replaceChild, createElement = DP.createElement;
  var elReplaceChildren = EP.replaceChildren;
  var fragReplaceChildren = DocumentFragment.prototype.replaceChildren;
  var innerHTMLDesc = getDescriptor(EP, 'innerHTML');
  var tplContent = getDescriptor(HTMLTemplateElement.prototype, 'content').get;
  var HTML_NS = 'http://www.w3.org/1999/xhtml';

  var cfg;
  try {
    cfg = JSONparse(apply(getAttr, me, ['data-ce-guard']));
  } catch (e) {
    return; // Written by the worker: a bad value is a bug, not page input.
  }
  if (!cfg || !isArray(cfg.r) || !isArray(cfg.a) || !isArray(cfg.c)) return;
  var CATEGORIES = ['necessary', 'functional', 'analytics', 'advertising'];

  // refused category -> true
  var refused = Object.create(null);
  cfg.r.forEach(function (c) { if (CATEGORIES[c]) refused[CATEGORIES[c]] = true; });
  var allowed = Object.create(null);
  cfg.a.forEach(function (i) { allowed[i] = true; });

  // host -> [[path prefix ('' or '/…'), vendor id, category]], longest prefix first.
  var table = Object.create(null);
  cfg.c.forEach(function (v, i) {
    var cat = allowed[i] ? 'necessary' : CATEGORIES[v[1]];
    String(v[2]).split(' ').forEach(function (pat) {
      if (!pat) return;
      var slash = pat.indexOf('/'), host = slash < 0 ? pat : pat.slice(0, slash);
      (table[host] = table[host] || []).push([slash < 0 ? '' : pat.slice(slash), v[0], cat]);
    });
  });
  Object.keys(table).forEach(function (h) {
    table[h].sort(function (a, b) { return b[0].length - a[0].length; });
  });

  // A token only this page view knows: activation touches only elements the
  // guard itself neutralised, never look-alike markup.
  var token = Math.random().toString(36).slice(2) + Date.now().toString(36);
  try {
    var rnd = new Uint32Array(2);
    crypto.getRandomValues(rnd);
    token = rnd[0].toString(36) + rnd[1].toString(36);
  } catch (e) { /* Math.random fallback above */ }

  /** Path starts with prefix (ASCII case-insensitive) at a segment boundary. */
  function hasPrefix(path, prefix) {
    if (!prefix) return true;
    if (path.length < prefix.length) return false;
    if (path.slice(0, prefix.length).toLowerCase() !== prefix) return false;
    return path.length === prefix.length || path.charAt(prefix.length) === '/';
  }

  /** Whether some entry sits on this host or a parent domain of it. */
  function hostListed(host) {
    for (;;) {
      if (table[host]) return true;
      var dot = host.indexOf('.');
      if (dot < 0) return false;
      host = host.slice(dot + 1);
    }
  }

  // Fast path for plain relative URLs ("/img/a.png", "a.png"): no scheme,
  // not scheme-relative, no leading space or control character, no ':'
  // anywhere (anything else takes the full URL parse). They resolve to the
  // base URL's host, which is looked up once per base URL. Measured: it
  // takes the guard's cost per first-party `img.src` from one URL parse and
  // table walk (two, with the insertion check) to a regex test.
  var PLAIN_RELATIVE = /^(?:\/(?![\/\\\t\n\r])|[^\/\\\x00-\x20])[^:]*$/;
  var lastBase = null, baseListed = true;
  function relativeIsClear(raw) {
    if (!PLAIN_RELATIVE.test(raw)) return false;
    var base = d.baseURI;
    if (base !== lastBase) {
      lastBase = base;
      try { baseListed = hostListed(new URL_(base).hostname.toLowerCase()); } catch (e) { baseListed = true; }
    }
    return !baseListed;
  }

  /** The refused vendor [id, category, …] a URL points at, or null. */
  function refusedVendor(raw) {
    raw = String(raw);
    if (relativeIsClear(raw)) return null;
    var u;
    try { u = new URL_(raw, d.baseURI); } catch (e) { return null; }
    if (u.protocol !== 'https:' && u.protocol !== 'http:') return null;
    var host = u.hostname.toLowerCase().replace(/\.$/, ''), path = u.pathname;
    try { path = decodeURIComponent(path); } catch (e) { /* keep it encoded */ }
    for (;;) {
      var entries = table[host];
      if (entries) {
        for (var i = 0; i < entries.length; i++) {
          if (hasPrefix(path, entries[i][0])) {
            return refused[entries[i][2]] ? entries[i] : null;
          }
        }
      }
      var dot = host.indexOf('.');
      if (dot < 0) return null;
      host = host.slice(dot + 1);
    }
  }

  /** First refused vendor among a srcset's candidate URLs. */
  function srcsetVendor(value) {
    var parts = String(value).split(',');
    for (var i = 0; i < parts.length; i++) {
      var url = parts[i].trim().split(/\s+/)[0];
      var v = url && refusedVendor(url);
      if (v) return v;
    }
    return null;
  }

  // The URL attributes the filter neutralises, per element (src/filter.rs url_attrs).
  // (No prototype: an unknown element named <constructor> must find nothing.)
  var ATTRS = Object.assign(Object.create(null), {
    script: ['src'], img: ['src', 'srcset'], iframe: ['src'], frame: ['src'],
    embed: ['src'], object: ['data'], video: ['src', 'poster'], audio: ['src'],
    source: ['src', 'srcset'], track: ['src'], link: ['href'], input: ['src'],
    a: ['ping'], area: ['ping']
  });
  var SELECTOR = 'script[src],img,iframe,frame,embed,object,video,audio,source,track,link,input[src],a[ping],area[ping]';

  function urlAttr(el, name) {
    var list = el.namespaceURI === HTML_NS && ATTRS[el.localName];
    return !!list && list.indexOf(name) >= 0;
  }

  function isInertScript(el) {
    var t = apply(getAttr, el, ['type']);
    return t !== null && t.trim().toLowerCase() === 'text/plain' && apply(hasAttr, el, ['data-consent-category']);
  }

  // Elements held so far (the same objects the page holds references to).
  var held = new Set_();

  function mark(el, vendor) {
    apply(setAttr, el, ['data-consent-category', vendor[2]]);
    apply(setAttr, el, ['data-consent-vendor', vendor[1]]);
    apply(setAttr, el, ['data-consent-guard', token]);
    held.add(el);
  }

  /**
   * Judges `value` about to become attribute `name` of `el`. A refused URL
   * turns the element inert: a script is marked `text/plain` (it may keep
   * its src), any other element gets `data-consent-<name>` instead.
   * Returns true when the caller must NOT set the real attribute.
   */
  function hold(el, name, value) {
    if (value === null || value === undefined || !urlAttr(el, name)) return false;
    var v = name === 'srcset' ? srcsetVendor(value) : refusedVendor(value);
    if (!v) return false;
    if (el.localName === 'script') {
      if (!isInertScript(el)) {
        var t = apply(getAttr, el, ['type']);
        if (t !== null) apply(setAttr, el, ['data-consent-type', t]);
        apply(setAttr, el, ['type', 'text/plain']);
        mark(el, v);
      }
      return false;
    }
    apply(setAttr, el, ['data-consent-' + name, String(value)]);
    if (el.localName === 'iframe' || el.localName === 'frame') {
      apply(setAttr, el, ['hidden', '']);
      apply(setAttr, el, ['data-consent-hidden', '']);
    }
    mark(el, v);
    return true;
  }

  /** Neutralises the URL attributes an element already carries. */
  function check(el) {
    var list = el.namespaceURI === HTML_NS && ATTRS[el.localName];
    if (!list) return;
    for (var i = 0; i < list.length; i++) {
      var value = apply(getAttr, el, [list[i]]);
      if (value !== null && hold(el, list[i], value) ) apply(removeAttr, el, [list[i]]);
    }
  }

  /** Neutralises a node about to be inserted, and everything inside it. */
  function scan(node) {
    if (!node || typeof node !== 'object') return;
    var type = node.nodeType;
    if (type === 1) {
      check(node);
      if (node.firstElementChild) apply(qsa, node, [SELECTOR]).forEach(check);
    } else if (type === 11) {
      apply(fragQsa, node, [SELECTOR]).forEach(check);
    }
  }

  function scanAll(args) {
    for (var i = 0; i < args.length; i++) scan(args[i]);
  }

  // Markup that could carry a URL attribute; anything else goes straight
  // to the native parser (no second parse).
  var SUSPECT = /(?:src|srcset|href|data|poster|ping)\s*=/i;

  /**
   * Parses markup in an inert <template> and neutralises it. Returns the
   * template when something was held, else null (use the original markup).
   */
  function parseHeld(html) {
    if (!SUSPECT.test(String(html))) return null;
    var tpl = apply(createElement, d, ['template']);
    try {
      // The page's own value (a TrustedHTML stays one under Trusted Types).
      apply(innerHTMLDesc.set, tpl, [html]);
    } catch (e) {
      return null; // Refused by the page's Trusted Types policy: native path.
    }
    var before = held.size, content = apply(tplContent, tpl, []);
    apply(fragQsa, content, [SELECTOR]).forEach(check);
    return held.size > before ? tpl : null;
  }

  // --- Hooks ---------------------------------------------------------------

  function wrapMethod(proto, name, make) {
    var desc = proto && getDescriptor(proto, name);
    if (!desc || typeof desc.value !== 'function') return;
    desc.value = make(desc.value);
    defineProperty(proto, name, desc);
  }

  function wrapSetter(proto, name, make) {
    var desc = proto && getDescriptor(proto, name);
    if (!desc || !desc.set) return;
    desc.set = make(desc.set);
    defineProperty(proto, name, desc);
  }

  // URL properties: img.src = …, new Image().src = …, iframe.src = …
  [
    ['HTMLScriptElement', 'src'], ['HTMLImageElement', 'src'], ['HTMLImageElement', 'srcset'],
    ['HTMLIFrameElement', 'src'], ['HTMLFrameElement', 'src'], ['HTMLEmbedElement', 'src'],
    ['HTMLObjectElement', 'data'], ['HTMLMediaElement', 'src'], ['HTMLVideoElement', 'poster'],
    ['HTMLSourceElement', 'src'], ['HTMLSourceElement', 'srcset'], ['HTMLTrackElement', 'src'],
    ['HTMLLinkElement', 'href'], ['HTMLInputElement', 'src'], ['HTMLAnchorElement', 'ping'],
    ['HTMLAreaElement', 'ping']
  ].forEach(function (p) {
    var ctor = w[p[0]], name = p[1];
    wrapSetter(ctor && ctor.prototype, name, function (set) {
      return function (value) {
        if (!hold(this, name, value)) apply(set, this, [value]);
      };
    });
  });

  // A held script keeps its type in data-consent-type: a type set later
  // (`s.src = u; s.type = 'text/javascript'`) goes there too.
  function retype(el, value) {
    if (!held.has(el) || el.localName !== 'script' || !isInertScript(el)) return false;
    apply(setAttr, el, ['data-consent-type', String(value)]);
    return true;
  }
  wrapSetter(w.HTMLScriptElement && HTMLScriptElement.prototype, 'type', function (set) {
    return function (value) {
      if (!retype(this, value)) apply(set, this, [value]);
    };
  });
  wrapMethod(EP, 'setAttribute', function (native) {
    return function (name, value) {
      var n = String(name).toLowerCase();
      if (hold(this, n, value) || (n === 'type' && retype(this, value))) return;
      return apply(native, this, arguments);
    };
  });
  wrapMethod(EP, 'setAttributeNS', function (native) {
    return function (ns, name, value) {
      if (!ns && hold(this, String(name).toLowerCase(), value)) return;
      return apply(native, this, arguments);
    };
  });

  // Insertion APIs: whatever is about to enter the page is checked first.
  ['appendChild', 'insertBefore'].forEach(function (name) {
    wrapMethod(NP, name, function (native) {
      return function (node) { scan(node); return apply(native, this, arguments); };
    });
  });
  wrapMethod(NP, 'replaceChild', function (native) {
    return function (node) { scan(node); return apply(native, this, arguments); };
  });
  [EP, DocumentFragment.prototype, DP, CharacterData.prototype].forEach(function (proto) {
    ['append', 'prepend', 'replaceWith', 'after', 'before', 'replaceChildren'].forEach(function (name) {
      if (!Object.prototype.hasOwnProperty.call(proto, name)) return;
      wrapMethod(proto, name, function (native) {
        return function () { scanAll(arguments); return apply(native, this, arguments); };
      });
    });
  });
  wrapMethod(EP, 'insertAdjacentElement', function (native) {
    return function (where, el) { scan(el); return apply(native, this, arguments); };
  });

  // Markup APIs: parsed in an inert template and neutralised before insertion.
  wrapSetter(EP, 'innerHTML', function (set) {
    return function (html) {
      var tpl = this.localName !== 'template' && parseHeld(html);
      if (!tpl) return apply(set, this, [html]);
      apply(elReplaceChildren, this, [apply(tplContent, tpl, [])]);
    };
  });
  wrapSetter(ShadowRoot.prototype, 'innerHTML', function (set) {
    return function (html) {
      var tpl = parseHeld(html);
      if (!tpl) return apply(set, this, [html]);
      apply(fragReplaceChildren, this, [apply(tplContent, tpl, [])]);
    };
  });
  // setHTMLUnsafe (Chromium 124+): the same, on elements and shadow roots.
  [EP, ShadowRoot.prototype].forEach(function (proto) {
    var replace = proto === EP ? elReplaceChildren : fragReplaceChildren;
    wrapMethod(proto, 'setHTMLUnsafe', function (native) {
      return function (html) {
        var tpl = this.localName !== 'template' && parseHeld(html);
        if (!tpl) return apply(native, this, arguments);
        apply(replace, this, [apply(tplContent, tpl, [])]);
      };
    });
  });
  wrapSetter(EP, 'outerHTML', function (set) {
    return function (html) {
      var parent = this.parentNode, tpl = parent && parent.nodeType === 1 && parseHeld(html);
      if (!tpl) return apply(set, this, [html]);
      apply(nReplaceChild, parent, [apply(tplContent, tpl, []), this]);
    };
  });
  wrapMethod(EP, 'insertAdjacentHTML', function (native) {
    return function (where, html) {
      var pos = String(where).toLowerCase(), parent = this.parentNode;
      var outside = pos === 'beforebegin' || pos === 'afterend';
      var known = outside || pos === 'afterbegin' || pos === 'beforeend';
      var tpl = known && (!outside || (parent && parent.nodeType === 1)) && parseHeld(html);
      if (!tpl) return apply(native, this, arguments);
      var frag = apply(tplContent, tpl, []);
      if (pos === 'beforebegin') apply(nInsertBefore, parent, [frag, this]);
      else if (pos === 'afterend') apply(nInsertBefore, parent, [frag, this.nextSibling]);
      else if (pos === 'afterbegin') apply(nInsertBefore, this, [frag, this.firstChild]);
      else apply(nAppendChild, this, [frag]);
    };
  });
  wrapMethod(w.Range && Range.prototype, 'createContextualFragment', function (native) {
    return function () {
      var frag = apply(native, this, arguments);
      scan(frag);
      return frag;
    };
  });
  ['write', 'writeln'].forEach(function (name) {
    wrapMethod(DP, name, function (native) {
      return function () {
        var html = arguments.length === 1 ? arguments[0] : Array.prototype.join.call(arguments, '');
        var tpl = parseHeld(html);
        // The written markup is re-serialised only when something was held
        // (its elements are new objects, found again by the token on grant).
        if (!tpl) return apply(native, this, arguments);
        try {
          return apply(native, this, [apply(innerHTMLDesc.get, tpl, [])]);
        } catch (e) {
          // Trusted Types refuses a plain string: nothing is written (the
          // refused tracker is not let through unguarded).
        }
      };
    });
  });

  // Requests: dropped quietly.
  wrapMethod(w.Navigator && Navigator.prototype, 'sendBeacon', function (native) {
    return function (url) {
      if (refusedVendor(url)) return true;
      return apply(native, this, arguments);
    };
  });
  if (typeof w.fetch === 'function') {
    var nFetch = w.fetch;
    w.fetch = function fetch(input) {
      var url = Request_ && input instanceof Request_ ? input.url : input;
      if (refusedVendor(url)) return Promise_.resolve(new Response_(null, { status: 204 }));
      return apply(nFetch, this, arguments);
    };
  }
  if (w.XMLHttpRequest) {
    var dropped = new WeakSet();
    wrapMethod(XMLHttpRequest.prototype, 'open', function (native) {
      return function (method, url) {
        if (refusedVendor(url)) dropped.add(this); else dropped.delete(this);
        return apply(native, this, arguments);
      };
    });
    wrapMethod(XMLHttpRequest.prototype, 'send', function (native) {
      return function () {
        if (dropped.has(this)) return;
        return apply(native, this, arguments);
      };
    });
  }

  // --- Activation ----------------------------------------------------------

  /** A restored URL must be http(s) (relative ones resolve to the page's). */
  function safeUrl(name, value) {
    var urls = name === 'srcset' ? value.split(',').map(function (c) { return c.trim().split(/\s+/)[0]; }) : [value];
    return urls.every(function (u) {
      try {
        var p = new URL_(u, d.baseURI).protocol;
        return p === 'https:' || p === 'http:';
      } catch (e) { return false; }
    });
  }

  function activate(el) {
    var ours = held.has(el);
    held.delete(el);
    if (apply(getAttr, el, ['data-consent-guard']) !== token) return;
    apply(removeAttr, el, ['data-consent-guard']);
    apply(removeAttr, el, ['data-consent-category']);
    apply(removeAttr, el, ['data-consent-vendor']);
    if (el.localName === 'script') {
      var t = apply(getAttr, el, ['data-consent-type']);
      apply(removeAttr, el, ['data-consent-type']);
      if (t !== null) apply(setAttr, el, ['type', t]); else apply(removeAttr, el, ['type']);
      var src = apply(getAttr, el, ['src']);
      if (src === null || !el.isConnected) return;
      if (!safeUrl('src', src)) return apply(removeAttr, el, ['src']);
      if (ours) {
        // An inert script never started, so setting its src again (connected,
        // not parser-inserted) runs it: the page's own element, listeners kept.
        apply(removeAttr, el, ['src']);
        apply(setAttr, el, ['src', src]);
      } else {
        // Written by document.write (parser-inserted, cannot start again):
        // a fresh copy takes its place.
        var s = apply(createElement, d, ['script']);
        for (var j = 0; j < el.attributes.length; j++) {
          apply(setAttr, s, [el.attributes[j].name, el.attributes[j].value]);
        }
        apply(nReplaceChild, el.parentNode, [s, el]);
      }
      return;
    }
    var list = ATTRS[el.localName] || [];
    for (var i = 0; i < list.length; i++) {
      var name = list[i], v = apply(getAttr, el, ['data-consent-' + name]);
      if (v === null) continue;
      apply(removeAttr, el, ['data-consent-' + name]);
      if (safeUrl(name, v)) apply(setAttr, el, [name, v]);
    }
    if (apply(hasAttr, el, ['data-consent-hidden'])) {
      apply(removeAttr, el, ['data-consent-hidden']);
      apply(removeAttr, el, ['hidden']);
    }
    var parent = el.parentNode;
    if (el.localName === 'source' && parent && typeof parent.load === 'function') parent.load();
  }

  function grant(categories) {
    if (!isArray(categories)) return;
    var now = Object.create(null);
    for (var i = 0; i < categories.length; i++) {
      var c = String(categories[i]);
      if (refused[c]) { delete refused[c]; now[c] = true; }
    }
    // Held elements (the page's own objects) and elements written through
    // document.write (new objects carrying this page view's token).
    var all = [];
    held.forEach(function (el) { all.push(el); });
    apply(docQsa, d, ['[data-consent-guard="' + token + '"]']).forEach(function (el) {
      if (!held.has(el)) all.push(el);
    });
    all.forEach(function (el) {
      if (!now[apply(getAttr, el, ['data-consent-category'])]) return;
      // One element the page's policies refuse (e.g. a script URL under
      // Trusted Types) must not stop the others.
      try { activate(el); } catch (e) { /* stays inert */ }
    });
  }

  defineProperty(w, 'consentEdgeGuard', {
    value: freeze({
      grant: grant,
      refused: function () { return Object.keys(refused); }
    }),
    writable: false,
    configurable: false,
    enumerable: false
  });
})();
