(function(){
var d=document,R=d.getElementById('consent-edge');if(!R||R.ceInit)return;R.ceInit=1;R.classList.add('ce-js');
var D=R.querySelector('.ce-dialog'),EP=R.getAttribute('data-endpoint'),C=['functional','analytics','advertising'],S=' '+(R.getAttribute('data-signals')||'')+' ',prev=null,sub=null;
function has(s,w){return(' '+s+' ').indexOf(' '+w+' ')>=0}
function grants(){var g={},s=R.getAttribute('data-grants')||'';C.forEach(function(c){g[c]=has(s,c)});return g}
function show(cust){if(!D)return;if(D.hidden)prev=d.activeElement;D.hidden=false;if(cust){var x=D.querySelector('details');if(x)x.open=true}D.focus({preventScroll:true})}
function hide(){if(!D)return;D.hidden=true;if(location.hash==='#ce-dialog'&&history.replaceState)history.replaceState(null,'',location.pathname+location.search);var p=prev;prev=null;if(p&&p.focus&&p!==d.body&&d.contains(p))p.focus()}
function st(v){return v?'granted':'denied'}
function signals(g){var a=st(g.advertising),n=st(g.analytics),f=st(g.functional),w=window;
if(has(S,'gtag')&&typeof w.gtag==='function')w.gtag('consent','update',{ad_storage:a,ad_user_data:a,ad_personalization:a,analytics_storage:n,functionality_storage:f,personalization_storage:f});
if(has(S,'uet')&&w.uetq&&w.uetq.push)w.uetq.push('consent','update',{ad_storage:a});
if(has(S,'clarity')&&typeof w.clarity==='function')w.clarity('consentv2',{ad_Storage:a,analytics_Storage:n})}
function ok(el,g){var cs=(el.getAttribute('data-consent-category')||el.getAttribute('data-consent')||'').split(/[\s,]+/).filter(Boolean);return cs.length>0&&cs.every(function(c){return c==='necessary'||g[c]===true})}
function put(a,nl){var s=d.currentScript,m,r;if(!s||!s.ceOn||!s.parentNode)return false;m=s.ceAt;
if(!m){m=s.ceAt=d.createTextNode('');s.parentNode.insertBefore(m,s.nextSibling)}
r=d.createRange();r.selectNode(m);r=r.createContextualFragment([].join.call(a,'')+(nl?'\n':''));
r.querySelectorAll('script').forEach(function(x){x.ceOn=1});m.parentNode.insertBefore(r,m);return true}
function writes(){if(d.ceW)return;d.ceW=1;var W=d.write,L=d.writeln;
d.write=function(){if(!put(arguments))return W.apply(d,arguments)};d.writeln=function(){if(!put(arguments,1))return L.apply(d,arguments)}}
function activate(g){
d.querySelectorAll('script[type="text/plain"][data-consent-category],script[type="text/plain"][data-consent]').forEach(function(o){if(!ok(o,g))return;writes();var s=d.createElement('script'),i,a;s.ceOn=1;
for(i=0;i<o.attributes.length;i++){a=o.attributes[i];if(a.name!=='type'&&a.name!=='nonce'&&a.name.indexOf('data-consent')!==0)s.setAttribute(a.name,a.value)}
a=o.getAttribute('data-consent-type');if(a)s.type=a;a=o.getAttribute('data-consent-src');if(a)s.src=a;if(o.nonce)s.nonce=o.nonce;if(!o.hasAttribute('async'))s.async=false;s.text=o.text;o.parentNode.replaceChild(s,o)});
d.querySelectorAll('[data-consent-category]:not(script):not([data-consent-placeholder]),[data-consent]:not(script):not([data-consent-placeholder])').forEach(function(el){if(!ok(el,g))return;
['src','srcset','data','href','ping','srcdoc'].forEach(function(a){var v=el.getAttribute('data-consent-'+a);if(v!==null){el.setAttribute(a,v);el.removeAttribute('data-consent-'+a)}});
if(el.hasAttribute('data-consent-hidden')){el.hidden=false;el.removeAttribute('data-consent-hidden')}
var p=el.previousElementSibling;if(p&&p.matches('.consent-edge-placeholder[data-consent-placeholder]'))p.parentNode.removeChild(p);
p=el.parentNode;if(el.nodeName==='SOURCE'&&p&&p.load)p.load()})}
function apply(g,j){R.setAttribute('data-grants',C.filter(function(c){return g[c]}).join(' '));R.setAttribute('data-decided','1');
d.querySelectorAll('#consent-edge input[type=checkbox]').forEach(function(i){if(C.indexOf(i.name)>=0)i.checked=!!g[i.name]});
d.querySelectorAll('[data-consent-state]').forEach(function(e){var c=e.getAttribute('data-consent-state');if(C.indexOf(c)>=0)e.textContent=e.getAttribute(g[c]?'data-on':'data-off')});
function fld(n,f){d.querySelectorAll('[data-consent-field='+n+']').forEach(f)}
if(j.consent_id){fld('id',function(e){e.textContent=j.consent_id});fld('meta',function(e){e.hidden=false});fld('undecided',function(e){e.hidden=true})}
if(typeof j.decided_at==='number'){var iso=new Date(j.decided_at*1000).toISOString().replace(/\.\d+Z$/,'Z');fld('date',function(e){e.textContent=iso;e.setAttribute('datetime',iso)})}
if(typeof j.method==='string')fld('method',function(e){var l=e.getAttribute('data-method-'+j.method.replace(/_/g,'-'));if(l)e.textContent=l});

signals(g);activate(g);hide();
d.dispatchEvent(new CustomEvent('consent-edge:change',{detail:{categories:g}}))}
function send(body,g,f,act){
fetch(EP,{method:'POST',credentials:'same-origin',headers:{'Content-Type':'application/json',Accept:'application/json'},body:JSON.stringify(body)})
.then(function(r){if(!r.ok)throw r;return r.json().catch(function(){return{}})})
.then(function(j){j=j||{};var c=j.categories,g2=g;if(c&&typeof c==='object'){g2={};C.forEach(function(k){g2[k]=c[k]===true})}apply(g2,j)})
.catch(function(){if(f){var i=d.createElement('input');i.type='hidden';i.name='action';i.value=act;f.appendChild(i);f.submit()}})}
d.addEventListener('click',function(e){var t=e.target;if(!t||!t.closest)return;
var o=t.closest('[data-consent-open]');if(o){e.preventDefault();show(o.getAttribute('data-consent-open')==='customize');return}
var a=t.closest('[data-consent-allow]');if(a){e.preventDefault();var g=grants(),c=a.getAttribute('data-consent-allow');if(C.indexOf(c)>=0){g[c]=true;send({categories:g},g)}return}
var b=t.closest('button[name=action]');if(b)sub=b});
d.addEventListener('submit',function(e){var f=e.target;if(!(R.contains(f)||f.hasAttribute('data-consent-form')))return;e.preventDefault();
var b=e.submitter||sub,act=b&&b.value||'save',g={};sub=null;
if(b&&b.hasAttribute('data-ce-dns')){g=grants();g.advertising=false;return send({categories:g},g,f,act)}
if(act==='save'){var fd=new FormData(f);C.forEach(function(c){g[c]=fd.get(c)==='on'});return send({categories:g},g,f,act)}
C.forEach(function(c){g[c]=act==='accept_all'});send({action:act},g,f,act)});
if(D)D.addEventListener('keydown',function(e){if(e.key==='Escape'){if(R.getAttribute('data-decided')==='1')hide();else if(prev&&prev.focus&&prev!==d.body)prev.focus()}});
if(R.getAttribute('data-decided')==='1')signals(grants());else if(D&&!D.hidden){prev=d.activeElement;D.focus({preventScroll:true})}
})();
