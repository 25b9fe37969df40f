/* loket.js - the Loket chat widget: one script tag puts an accessible chat with the municipality's
 * AI assistant on any web site.
 *
 *   <script src="https://loket.example.nl/widget/loket.js" data-bot="gemeente-demo"
 *           data-lang="nl" defer></script>
 *   optional: data-mode="inline" data-target="#id" (the panel inside that element, no launcher)
 *
 * The script's own address gives the API base. Everything lives in an open shadow root on one
 * element (class "loket-widget") so the host page's CSS cannot break it; the host themes it with
 * --loket-* custom properties (see README.md). Talks to the v1 HTTP API: creates a conversation,
 * posts messages and quick-reply actions, uploads photos, reads the events stream (fetch with the
 * Authorization header; reconnects with backoff and ?after=<last seq>; each seq is shown once),
 * reads the transcript after a reload, erases the conversation on "start over".
 * Plain ES2017, no framework, no innerHTML, no inline script or style: CSP-friendly. */
(function () {
  'use strict';

  /* Every text the widget shows, in plain (B1) language. Dutch first. */
  const STRINGS = {
    nl: {
      launcher: 'Stel een vraag',
      title: 'Chat met de gemeente',
      close: 'Chat sluiten',
      otherLang: 'English',
      otherLangHint: 'Begin een nieuw gesprek in het Engels',
      startOver: 'Opnieuw beginnen',
      startOverHint: 'Wist dit gesprek en begint een nieuw gesprek',
      download: 'Gesprek downloaden',
      log: 'Gesprek',
      botName: 'AI-assistent',
      userName: 'U',
      generated: 'Geschreven door AI',
      sources: 'Bron:',
      newWindow: '(opent in een nieuw venster)',
      replies: 'Kies een antwoord',
      inputQuestion: 'Uw vraag',
      inputAnswer: 'Uw antwoord',
      inputEmail: 'Uw e-mailadres',
      inputPhone: 'Uw telefoonnummer',
      hint: 'Typ uw vraag en druk op Enter.',
      hintAnswer: 'Typ uw antwoord en druk op Enter. Of kies een knop hierboven.',
      send: 'Versturen',
      typing: 'De assistent schrijft een antwoord…',
      starting: 'Het gesprek wordt gestart…',
      pickDate: 'Kies een dag',
      pickDateButton: 'Deze dag kiezen',
      pickTime: 'Kies een tijd',
      pickTimeButton: 'Deze tijd kiezen',
      pickOption: 'Kies uit de lijst',
      pickOptionButton: 'Kiezen',
      pickPhoto: 'Kies een foto',
      sendPhoto: 'Foto versturen',
      photoSent: 'Foto verstuurd',
      photoNone: 'Kies eerst een foto.',
      photoType: 'Dit bestand is geen foto. Kies een foto (JPG, PNG of WebP).',
      photoBig: 'Deze foto is te groot. Kies een foto kleiner dan 5 MB.',
      photoBad: 'Deze foto kon niet worden gelezen. Probeer een andere foto.',
      startedOver: 'U bent opnieuw begonnen. Het oude gesprek is gewist.',
      downloaded: 'Het gesprek is gedownload.',
      transcriptTitle: 'Gesprek met de AI-assistent van de gemeente',
      transcriptSaved: 'Gedownload op',
      errNetwork: 'Er is geen verbinding met de gemeente. Controleer uw internet en probeer het opnieuw.',
      errEmpty: 'Typ eerst uw vraag.',
      errTooLong: 'Uw bericht is te lang. Maak het korter en probeer het opnieuw.',
      errGone: 'Dit gesprek bestaat niet meer. Er is een nieuw gesprek gestart.',
      errInput: 'Uw bericht kon niet worden verwerkt. Probeer het anders te zeggen.',
      errPending: 'De assistent schrijft nog een antwoord. Wacht even.',
      errBusy: 'Het is nu erg druk. Probeer het over een minuut opnieuw.',
      errServer: 'Er ging iets mis bij de gemeente. Probeer het later opnieuw.',
      errStart: 'Het gesprek kon niet worden gestart. Probeer het later opnieuw.',
      agentSuffix: '(medewerker)',
      agentSomeone: 'Een medewerker',
      agentTyping: '{name} typt…',
      queuePosition: 'U bent nummer {n} in de wachtrij.',
      queueWaiting: 'U wacht op een medewerker.',
      queueMinutes: 'Wachttijd: ongeveer {n} minuten.',
      queueMinute: 'Wachttijd: ongeveer 1 minuut.',
      helping: '{name} helpt u nu.',
      inputMessage: 'Uw bericht',
      hintMessage: 'Typ uw bericht en druk op Enter.'
    },
    en: {
      launcher: 'Ask a question',
      title: 'Chat with the municipality',
      close: 'Close chat',
      otherLang: 'Nederlands',
      otherLangHint: 'Start a new conversation in Dutch',
      startOver: 'Start over',
      startOverHint: 'Deletes this conversation and starts a new one',
      download: 'Download transcript',
      log: 'Conversation',
      botName: 'AI assistant',
      userName: 'You',
      generated: 'Written by AI',
      sources: 'Source:',
      newWindow: '(opens in a new window)',
      replies: 'Choose an answer',
      inputQuestion: 'Your question',
      inputAnswer: 'Your answer',
      inputEmail: 'Your email address',
      inputPhone: 'Your phone number',
      hint: 'Type your question and press Enter.',
      hintAnswer: 'Type your answer and press Enter. Or choose a button above.',
      send: 'Send',
      typing: 'The assistant is writing an answer…',
      starting: 'Starting the conversation…',
      pickDate: 'Choose a day',
      pickDateButton: 'Choose this day',
      pickTime: 'Choose a time',
      pickTimeButton: 'Choose this time',
      pickOption: 'Choose from the list',
      pickOptionButton: 'Choose',
      pickPhoto: 'Choose a photo',
      sendPhoto: 'Send photo',
      photoSent: 'Photo sent',
      photoNone: 'Please choose a photo first.',
      photoType: 'This file is not a photo. Please choose a photo (JPG, PNG or WebP).',
      photoBig: 'This photo is too large. Please choose a photo smaller than 5 MB.',
      photoBad: 'This photo could not be read. Please try another photo.',
      startedOver: 'You have started over. The old conversation has been deleted.',
      downloaded: 'The conversation has been downloaded.',
      transcriptTitle: 'Conversation with the municipality\'s AI assistant',
      transcriptSaved: 'Downloaded on',
      errNetwork: 'There is no connection with the municipality. Check your internet and try again.',
      errEmpty: 'Please type your question first.',
      errTooLong: 'Your message is too long. Make it shorter and try again.',
      errGone: 'This conversation no longer exists. A new conversation has started.',
      errInput: 'Your message could not be processed. Try saying it differently.',
      errPending: 'The assistant is still writing an answer. Please wait a moment.',
      errBusy: 'It is very busy right now. Please try again in a minute.',
      errServer: 'Something went wrong at the municipality. Please try again later.',
      errStart: 'The conversation could not be started. Please try again later.',
      agentSuffix: '(staff member)',
      agentSomeone: 'A staff member',
      agentTyping: '{name} is typing…',
      queuePosition: 'You are number {n} in the queue.',
      queueWaiting: 'You are waiting for a staff member.',
      queueMinutes: 'Waiting time: about {n} minutes.',
      queueMinute: 'Waiting time: about 1 minute.',
      helping: '{name} is helping you now.',
      inputMessage: 'Your message',
      hintMessage: 'Type your message and press Enter.'
    }
  };

  const MAX_TEXT_BYTES = 4096;            /* the API refuses longer messages */
  const MAX_UPLOAD = 5 * 1024 * 1024;     /* the API refuses larger photos */
  const MAX_EVENT_BUFFER = 1024 * 1024;   /* one SSE event at most this long */
  const MAX_DRAFT = 20000;                /* characters of a draft answer shown */
  const MAX_MESSAGES = 1000;              /* messages kept for the transcript */
  const STREAM_SILENCE_MS = 45000;        /* the server pings every 15 s */
  const PENDING_POLL_MS = 20000;          /* a pending answer not seen by then: read the transcript */
  const TYPING_EVERY_MS = 3000;           /* "the citizen is typing" to a staff member at most this often */
  const AGENT_TYPING_MS = 4000;           /* "Anna typt…" stays this long after the last event */

  const script = document.currentScript;
  if (!script || !script.src) return;
  const SRC = new URL(script.src, document.baseURI);
  const API = new URL('../api/v1/conversations', SRC).href;
  const CSS_URL = new URL('loket.css', SRC).href;
  const data = script.dataset;
  const BOT = (data.bot || '').slice(0, 64);
  const KEY = 'loket-widget:' + new URL('../', SRC).href + ':' + BOT;
  if (!window.__loketWidgets) window.__loketWidgets = {};
  if (window.__loketWidgets[KEY]) return;   /* the same widget embedded twice */
  window.__loketWidgets[KEY] = true;

  function pageLang() {
    const l = (data.lang || document.documentElement.lang || 'nl').slice(0, 2).toLowerCase();
    return STRINGS[l] ? l : 'nl';
  }

  const state = {
    id: null, token: null, lang: pageLang(), lastSeq: 0, open: false,
    busy: false, pendingSeq: 0, pendingTimer: 0,
    seen: new Set(), messages: [], labels: new Map(), drafts: new Map(), local: null,
    stream: null, retry: 0, retryTimer: 0, silenceTimer: 0, starting: null,
    handoff: null, lastHandoff: null, typingSent: 0, agentTyping: 0
  };
  const el = {};
  const inline = findTarget();

  function findTarget() {
    if (data.mode !== 'inline' || !data.target) return null;
    try { return document.querySelector(data.target); } catch (e) { return null; }
  }

  /* The focused element inside the widget (its shadow root) or the page. */
  function active() {
    return (el.root && el.root.activeElement) || document.activeElement;
  }

  function t(key, vars) {
    const table = STRINGS[state.lang] || STRINGS.nl;
    const s = table[key] !== undefined ? table[key] : STRINGS.nl[key];
    return vars ? s.replace(/\{(\w+)\}/g, function (all, k) { return vars[k] !== undefined ? vars[k] : all; }) : s;
  }

  /* ---- small DOM helpers (textContent only, never HTML) ---- */

  function make(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function button(cls, text) {
    const b = make('button', cls, text);
    b.type = 'button';
    return b;
  }

  function hiddenText(text) {
    return make('span', 'loket-vh', text);
  }

  let uid = 0;
  function newId(prefix) {
    uid += 1;
    return 'loket-' + prefix + '-' + uid;
  }

  /* ---- storage: id, token, language, last seq and open state survive a reload of this tab ---- */

  function load() {
    try {
      const saved = JSON.parse(window.sessionStorage.getItem(KEY) || 'null');
      if (saved && typeof saved.id === 'string' && typeof saved.token === 'string' &&
          /^[0-9a-f]{1,64}$/.test(saved.id)) return saved;
    } catch (e) { /* storage blocked or corrupt: start fresh */ }
    return null;
  }

  function save() {
    try {
      if (!state.id) {
        window.sessionStorage.removeItem(KEY);
        return;
      }
      window.sessionStorage.setItem(KEY, JSON.stringify({
        id: state.id, token: state.token, lang: state.lang, lastSeq: state.lastSeq, open: state.open
      }));
    } catch (e) { /* private mode: the widget still works, a reload starts over */ }
  }

  /* ---- HTTP: returns {status, body}; throws on a network failure ---- */

  function convUrl(suffix) {
    return API + '/' + encodeURIComponent(state.id) + (suffix || '');
  }

  async function api(method, url, body, type) {
    const headers = { Accept: 'application/json' };
    if (state.token) headers.Authorization = 'Bearer ' + state.token;
    let payload;
    if (type) {
      headers['Content-Type'] = type;
      payload = body;
    } else if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const response = await fetch(url, {
      method: method, headers: headers, body: payload, mode: 'cors', credentials: 'omit',
      cache: 'no-store', referrerPolicy: 'no-referrer'
    });
    let json = null;
    if (response.status !== 204) {
      try { json = await response.json(); } catch (e) { json = null; }
    }
    return { status: response.status, body: json };
  }

  function errorCode(result) {
    return result && result.body && result.body.error && result.body.error.code;
  }

  /* ---- building the widget ---- */

  function build() {
    const host = make('div', 'loket-widget' + (inline ? ' loket-widget--inline' : ''));
    host.setAttribute('data-loket-bot', BOT);
    const root = host.attachShadow ? host.attachShadow({ mode: 'open' }) : host;
    const link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = CSS_URL;
    const frame = make('div', 'loket-frame' + (inline ? ' loket-frame--inline' : ''));
    frame.hidden = true;   /* shown once the style sheet is there (or failed) */
    link.addEventListener('load', function () { frame.hidden = false; });
    link.addEventListener('error', function () { frame.hidden = false; });
    root.appendChild(link);
    root.appendChild(frame);
    el.host = host;
    el.root = root;

    const panelId = newId('panel');
    const titleId = newId('title');
    if (!inline) {
      el.launcher = button('loket-launcher');
      el.launcher.setAttribute('aria-expanded', 'false');
      el.launcher.setAttribute('aria-controls', panelId);
      el.launcher.setAttribute('part', 'launcher');
      el.launcher.appendChild(make('span', 'loket-launcher-icon')).setAttribute('aria-hidden', 'true');
      el.launcherText = el.launcher.appendChild(make('span', 'loket-launcher-text'));
      el.launcher.addEventListener('click', function () { if (state.open) close(); else open(true); });
      frame.appendChild(el.launcher);
    }

    const panel = make('section', 'loket-panel');
    panel.id = panelId;
    panel.setAttribute('aria-labelledby', titleId);
    panel.setAttribute('part', 'panel');
    panel.hidden = !inline;
    el.panel = panel;

    const header = make('div', 'loket-header');
    const top = make('div', 'loket-header-top');
    el.title = make('h2', 'loket-title');
    el.title.id = titleId;
    top.appendChild(el.title);
    if (!inline) {
      el.close = button('loket-close');
      el.close.appendChild(make('span', 'loket-close-icon')).setAttribute('aria-hidden', 'true');
      el.closeText = el.close.appendChild(hiddenText(''));
      el.close.addEventListener('click', function () { close(); });
      top.appendChild(el.close);
    }
    header.appendChild(top);

    const tools = make('div', 'loket-tools');
    el.langHint = make('span', 'loket-vh');
    el.langHint.id = newId('langhint');
    el.startHint = make('span', 'loket-vh');
    el.startHint.id = newId('starthint');
    el.langButton = button('loket-tool loket-tool--lang');
    el.langButton.setAttribute('aria-describedby', el.langHint.id);
    el.langButton.addEventListener('click', function () {
      startOver(state.lang === 'nl' ? 'en' : 'nl', true);
    });
    el.startButton = button('loket-tool');
    el.startButton.setAttribute('aria-describedby', el.startHint.id);
    el.startButton.addEventListener('click', function () { startOver(state.lang, true); });
    el.downloadButton = button('loket-tool');
    el.downloadButton.addEventListener('click', downloadTranscript);
    tools.append(el.langButton, el.startButton, el.downloadButton, el.langHint, el.startHint);
    header.appendChild(tools);
    panel.appendChild(header);

    el.log = make('div', 'loket-log');
    el.log.setAttribute('role', 'log');
    el.log.setAttribute('aria-live', 'polite');
    el.log.setAttribute('aria-relevant', 'additions');
    el.log.tabIndex = 0;
    panel.appendChild(el.log);

    el.status = make('p', 'loket-status');
    el.status.setAttribute('role', 'status');   /* always there (empty when idle), so it is announced */
    panel.appendChild(el.status);

    el.typing = make('p', 'loket-typing');
    el.typing.setAttribute('role', 'status');
    panel.appendChild(el.typing);

    const form = make('form', 'loket-composer');
    form.noValidate = true;
    const inputId = newId('input');
    const hintId = newId('hint');
    el.inputLabel = make('label', 'loket-label');
    el.inputLabel.htmlFor = inputId;
    el.input = make('input', 'loket-input');
    el.input.id = inputId;
    el.input.type = 'text';
    el.input.autocomplete = 'off';
    el.input.maxLength = 4000;
    el.input.setAttribute('aria-describedby', hintId);
    el.input.addEventListener('input', typingToAgent);
    el.send = make('button', 'loket-send');
    el.send.type = 'submit';
    el.hint = make('p', 'loket-hint');
    el.hint.id = hintId;
    const row = make('div', 'loket-row');
    row.append(el.input, el.send);
    form.append(el.inputLabel, row, el.hint);
    form.addEventListener('submit', sendText);
    panel.appendChild(form);
    el.form = form;

    panel.addEventListener('keydown', function (event) {
      if (event.key === 'Escape' && !inline && state.open) {
        event.preventDefault();
        close();
      }
    });
    frame.appendChild(panel);
    (inline || document.body).appendChild(host);
    applyLanguage();
  }

  function applyLanguage() {
    const lang = state.lang;
    el.host.setAttribute('lang', lang);
    el.panel.setAttribute('lang', lang);
    if (el.launcher) {
      el.launcherText.textContent = t('launcher');
      el.launcher.setAttribute('lang', lang);
    }
    if (el.closeText) el.closeText.textContent = t('close');
    el.title.textContent = t('title');
    el.langButton.textContent = t('otherLang');
    el.langButton.setAttribute('lang', lang === 'nl' ? 'en' : 'nl');
    el.langHint.textContent = t('otherLangHint');
    el.startButton.textContent = t('startOver');
    el.startHint.textContent = t('startOverHint');
    el.downloadButton.textContent = t('download');
    el.log.setAttribute('aria-label', t('log'));
    el.send.textContent = t('send');
    configureInput(null);
  }

  /* ---- open and close (no focus trap: Tab moves freely; Esc closes) ---- */

  function open(focus) {
    if (inline) return;
    state.open = true;
    el.panel.hidden = false;
    el.launcher.setAttribute('aria-expanded', 'true');
    el.host.classList.add('loket-is-open');
    save();
    if (focus) el.input.focus();
    begin();
  }

  function close() {
    if (inline) return;
    state.open = false;
    el.panel.hidden = true;
    el.launcher.setAttribute('aria-expanded', 'false');
    el.host.classList.remove('loket-is-open');
    save();
    el.launcher.focus();
  }

  /* ---- the log ---- */

  function isSafeUrl(url) {
    try {
      const parsed = new URL(url, window.location.href);
      return parsed.protocol === 'https:' || parsed.protocol === 'http:';
    } catch (e) { return false; }
  }

  function renderSources(sources) {
    const wrap = make('div', 'loket-sources');
    wrap.appendChild(make('span', 'loket-sources-label', t('sources') + ' '));
    const list = make('ul', 'loket-sources-list');
    sources.slice(0, 10).forEach(function (source) {
      if (!source || typeof source.url !== 'string' || !isSafeUrl(source.url)) return;
      const link = make('a', 'loket-source');
      link.href = source.url;
      link.target = '_blank';
      link.rel = 'noopener noreferrer';
      const title = String(source.title || source.url).slice(0, 300);
      link.textContent = (typeof source.n === 'number' ? '[' + source.n + '] ' : '') + title;
      link.appendChild(hiddenText(' ' + t('newWindow')));
      list.appendChild(make('li')).appendChild(link);
    });
    wrap.appendChild(list);
    return list.children.length ? wrap : null;
  }

  function renderReplies(replies) {
    const group = make('div', 'loket-replies');
    group.setAttribute('role', 'group');
    group.setAttribute('aria-label', t('replies'));
    replies.slice(0, 20).forEach(function (reply) {
      if (!reply || typeof reply.payload !== 'string' || !reply.payload) return;
      const label = String(reply.label || reply.payload).slice(0, 200);
      const b = button('loket-reply', label);
      b.addEventListener('click', function () { send({ action: reply.payload }, label); });
      group.appendChild(b);
    });
    return group.children.length ? group : null;
  }

  /* The user's turn as people see it: the label of the button they pressed, not its payload. */
  function shownUserText(m) {
    const text = typeof m.text === 'string' ? m.text : '';
    if (m.kind !== 'action') return text;
    if (state.labels.has(text)) return state.labels.get(text);
    if (text.indexOf('attachment:') === 0) return t('photoSent');
    return text;
  }

  /* A staff member's name as the citizen sees it: "Anna (medewerker)". */
  function agentName(agent) {
    const name = agent && typeof agent === 'object' ? agent.name : agent;
    return typeof name === 'string' && name ? name.slice(0, 100) : t('agentSomeone');
  }

  function senderName(m) {
    if (m.role === 'user') return t('userName');
    if (m.role === 'agent') return agentName(m.agent) + ' ' + t('agentSuffix');
    return t('botName');
  }

  function sender(m) {
    return make('span', 'loket-sender', senderName(m) + ':');
  }

  function messageElement(m, withControls) {
    const isUser = m.role === 'user';
    const item = make('div', 'loket-msg ' + (isUser ? 'loket-msg--user'
      : (m.role === 'agent' ? 'loket-msg--bot loket-msg--agent' : 'loket-msg--bot')) +
      (m.kind ? ' loket-kind-' + String(m.kind).replace(/[^a-z_]/g, '') : ''));
    item.setAttribute('lang', state.lang);
    if (typeof m.seq === 'number') item.setAttribute('data-seq', String(m.seq));
    item.appendChild(sender(m));
    if (m.generated === true) item.appendChild(make('span', 'loket-ai-label', t('generated')));
    item.appendChild(make('p', 'loket-text', isUser ? shownUserText(m) : String(m.text || '')));
    if (!isUser && Array.isArray(m.sources) && m.sources.length) {
      const sources = renderSources(m.sources);
      if (sources) item.appendChild(sources);
    }
    if (!isUser && withControls) {
      const input = m.input && typeof m.input === 'object' ? m.input : null;
      const replies = Array.isArray(m.quick_replies) ? m.quick_replies : [];
      const group = replies.length ? renderReplies(replies) : null;
      if (group) item.appendChild(group);
      const field = input ? renderField(input, replies) : null;
      if (field) item.appendChild(field);
    }
    return item;
  }

  function remember(m, shown) {
    state.messages.push({
      seq: m.seq, role: m.role === 'user' ? 'user' : 'bot', who: senderName(m), text: shown,
      created_at: typeof m.created_at === 'string' ? m.created_at : new Date().toISOString(),
      sources: Array.isArray(m.sources) ? m.sources.slice(0, 10) : [], generated: m.generated === true
    });
    if (state.messages.length > MAX_MESSAGES) state.messages.shift();
  }

  function noteSeq(seq) {
    state.seen.add(seq);
    if (seq > state.lastSeq) {
      state.lastSeq = seq;
      save();
    }
  }

  /* Gives the message the user just typed (shown at once) the seq the server stored it under. */
  function claimLocal(seq) {
    const local = state.local;
    if (!local || state.seen.has(seq) || seq <= local.after) return false;
    state.local = null;
    local.el.setAttribute('data-seq', String(seq));
    local.entry.seq = seq;
    noteSeq(seq);
    return true;
  }

  /* Shows one stored turn, once per seq, wherever it came from (reply, events, transcript). */
  function render(m, withControls) {
    if (!m || typeof m !== 'object') return;
    const seq = typeof m.seq === 'number' ? m.seq : null;
    if (seq !== null && state.seen.has(seq)) return;
    if (m.role === 'user' && seq !== null && claimLocal(seq)) return;
    if (m.role !== 'user' && Array.isArray(m.quick_replies)) {
      m.quick_replies.forEach(function (q) {
        if (q && typeof q.payload === 'string' && typeof q.label === 'string' && state.labels.size < 2000)
          state.labels.set(q.payload, q.label);
      });
    }
    if (m.role === 'user') clearControls();
    const item = messageElement(m, withControls !== false);
    const draft = seq !== null ? state.drafts.get(seq) : null;
    if (draft) {
      draft.replaceWith(item);
      state.drafts.delete(seq);
    } else {
      el.log.appendChild(item);
    }
    remember(m, m.role === 'user' ? shownUserText(m) : String(m.text || ''));
    if (seq !== null) noteSeq(seq);
    if (m.kind === 'handoff' && m.handoff && typeof m.handoff === 'object') {
      state.lastHandoff = item;
      setHandoff(m.handoff);
    }
    if (m.role === 'agent' && state.agentTyping) stopAgentTyping();
    if (m.role !== 'user') {
      configureInput(m.input && typeof m.input === 'object' ? m.input : null);
      if (state.pendingSeq && seq !== null && seq >= state.pendingSeq) finishPending();
    }
    scrollToEnd(item);
  }

  /* Tokens of an answer being written: a draft hidden from screen readers (the final message,
   * announced once, replaces it). */
  function draftToken(seq, text) {
    if (typeof seq !== 'number' || typeof text !== 'string' || state.seen.has(seq)) return;
    let draft = state.drafts.get(seq);
    if (!draft) {
      if (state.drafts.size > 4) return;
      draft = make('div', 'loket-msg loket-msg--bot loket-msg--draft');
      draft.setAttribute('aria-hidden', 'true');
      draft.setAttribute('lang', state.lang);
      draft.appendChild(sender({ role: 'bot' }));
      draft.appendChild(make('p', 'loket-text', ''));
      el.log.appendChild(draft);
      state.drafts.set(seq, draft);
    }
    const p = draft.lastChild;
    if (p.textContent.length < MAX_DRAFT) p.textContent += text;
    scrollToEnd(draft);
  }

  function notice(text, isError) {
    const item = make('div', 'loket-notice' + (isError ? ' loket-notice--error' : ''));
    item.setAttribute('lang', state.lang);
    item.appendChild(make('p', 'loket-text', text));
    el.log.appendChild(item);
    scrollToEnd(item);
  }

  /* Buttons and fields belong to the latest question; they go once the user answers. */
  function clearControls() {
    el.log.querySelectorAll('.loket-replies, .loket-field').forEach(function (node) {
      if (waitingControls(node)) return;
      if (node.contains(active())) el.input.focus();
      node.remove();
    });
  }

  function clearLog() {
    while (el.log.firstChild) el.log.removeChild(el.log.firstChild);
    state.seen.clear();
    state.messages = [];
    state.drafts.clear();
    state.local = null;
    state.lastSeq = 0;
  }

  function scrollToEnd(item) {
    const log = el.log;
    if (!item || log.scrollHeight <= log.clientHeight) return;
    const reduce = window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches;
    const top = item.offsetHeight > log.clientHeight - 16
      ? item.offsetTop - 8
      : item.offsetTop + item.offsetHeight - log.clientHeight + 8;
    if (top > log.scrollTop) log.scrollTo({ top: top, behavior: reduce ? 'auto' : 'smooth' });
  }

  /* ---- a person takes over: queue position, who helps, "Anna typt…" ---- */

  function handoffActive() {
    return Boolean(state.handoff && (state.handoff.status === 'waiting' || state.handoff.status === 'assigned'));
  }

  /* The status line under the log; no message is added. h: {status, position?, wait_minutes?, agent?}. */
  function setHandoff(h) {
    const was = handoffActive();
    state.handoff = h && typeof h === 'object' && (h.status === 'waiting' || h.status === 'assigned') ? h : null;
    if (was !== handoffActive()) configureInput(null);
    let text = '';
    if (state.handoff && state.handoff.status === 'waiting') {
      const pos = Number(state.handoff.position);
      const mins = Math.ceil(Number(state.handoff.wait_minutes));
      text = pos > 0 ? t('queuePosition', { n: pos }) : t('queueWaiting');
      if (mins > 0) text += ' ' + (mins === 1 ? t('queueMinute') : t('queueMinutes', { n: mins }));
    } else if (state.handoff) {
      text = t('helping', { name: agentName(state.handoff.agent) });
    } else if (state.agentTyping) {
      stopAgentTyping();
    }
    if (el.status.textContent !== text) el.status.textContent = text;
    el.status.classList.toggle('loket-status--on', Boolean(text));
    /* "Stop met wachten" belongs to the waiting only. */
    if (!state.handoff || state.handoff.status !== 'waiting') {
      el.log.querySelectorAll('.loket-kind-handoff .loket-replies').forEach(function (node) {
        if (node.parentNode === state.lastHandoff) return;
        if (node.contains(active())) el.input.focus();
        node.remove();
      });
    }
  }

  /* While the citizen waits, the buttons of the latest handoff notice stay when they type. */
  function waitingControls(node) {
    return Boolean(state.handoff && state.handoff.status === 'waiting' && state.lastHandoff &&
      node.parentNode === state.lastHandoff);
  }

  function agentTyping(name) {
    if (state.pendingSeq) return;
    clearTimeout(state.agentTyping);
    setTyping(t('agentTyping', { name: agentName(name || (state.handoff && state.handoff.agent)) }));
    state.agentTyping = setTimeout(stopAgentTyping, AGENT_TYPING_MS);
  }

  function stopAgentTyping() {
    clearTimeout(state.agentTyping);
    state.agentTyping = 0;
    if (!state.pendingSeq) setTyping('');
  }

  /* Tells the staff member that the citizen is typing (at most every 3 s; errors do not matter). */
  function typingToAgent() {
    const now = Date.now();
    if (!state.id || !handoffActive() || !el.input.value || now - state.typingSent < TYPING_EVERY_MS) return;
    state.typingSent = now;
    api('POST', convUrl('/typing'), {}).catch(function () { /* offline: nothing to tell */ });
  }

  /* ---- flow questions: a field that fits the question ---- */

  function fieldForm(labelText, control, buttonText, onSubmit) {
    const form = make('form', 'loket-field');
    form.noValidate = true;
    control.id = newId('field');
    const label = make('label', 'loket-label', labelText);
    label.htmlFor = control.id;
    const submit = make('button', 'loket-field-send', buttonText);
    submit.type = 'submit';
    const row = make('div', 'loket-row');
    row.append(control, submit);
    form.append(label, row);
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      onSubmit(control);
    });
    return form;
  }

  function optionValues(input) {
    return Array.isArray(input.options)
      ? input.options.filter(function (o) { return o && typeof o.value === 'string'; }).slice(0, 400)
      : [];
  }

  function formatDate(iso) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
    if (!m) return iso;
    try {
      return new Date(+m[1], +m[2] - 1, +m[3]).toLocaleDateString(state.lang === 'en' ? 'en-GB' : 'nl-NL',
        { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
    } catch (e) { return iso; }
  }

  /* Sends a picked value: as the button's action when it is one of the offered options. */
  function sendValue(value, options, shown) {
    const known = options.some(function (o) { return o.value === value; });
    if (known) send({ action: 'choose:' + value }, state.labels.get('choose:' + value) || shown);
    else send({ text: value }, shown);
  }

  function renderField(input, replies) {
    const type = String(input.type || '');
    const options = optionValues(input);
    const buttons = replies.filter(function (q) { return q && /^choose:/.test(q.payload); }).length;
    if (type === 'date') {
      const control = make('input', 'loket-input loket-input--date');
      control.type = 'date';
      if (options.length) {
        control.min = options[0].value;
        control.max = options[options.length - 1].value;
      }
      return fieldForm(t('pickDate'), control, t('pickDateButton'), function (c) {
        if (!/^\d{4}-\d{2}-\d{2}$/.test(c.value)) { c.focus(); return; }
        sendValue(c.value, options, formatDate(c.value));
      });
    }
    if ((type === 'time' || type === 'choice') && options.length > buttons) {
      const control = make('select', 'loket-select');
      options.forEach(function (o) {
        const opt = make('option', '', String(o.label || o.value).slice(0, 200));
        opt.value = o.value;
        control.appendChild(opt);
      });
      const isTime = type === 'time';
      return fieldForm(isTime ? t('pickTime') : t('pickOption'), control,
        isTime ? t('pickTimeButton') : t('pickOptionButton'), function (c) {
          const o = options[c.selectedIndex];
          if (o) send({ action: 'choose:' + o.value }, String(o.label || o.value));
        });
    }
    if (type === 'time') {
      const control = make('input', 'loket-input loket-input--time');
      control.type = 'time';
      return fieldForm(t('pickTime'), control, t('pickTimeButton'), function (c) {
        if (!/^\d{2}:\d{2}/.test(c.value)) { c.focus(); return; }
        sendValue(c.value.slice(0, 5), options, c.value.slice(0, 5));
      });
    }
    if (type === 'photo') {
      const control = make('input', 'loket-file');
      control.type = 'file';
      control.accept = typeof input.accept === 'string' ? input.accept : 'image/*';
      return fieldForm(t('pickPhoto'), control, t('sendPhoto'), uploadPhoto);
    }
    return null;
  }

  /* The text field: the right keyboard and autofill for e-mail and phone questions. */
  function configureInput(input) {
    const type = input ? String(input.type || '') : '';
    const i = el.input;
    let label = input ? t('inputAnswer') : t('inputQuestion');
    i.type = 'text';
    i.removeAttribute('inputmode');
    i.autocomplete = 'off';
    if (type === 'email') {
      i.type = 'email';
      i.setAttribute('inputmode', 'email');
      i.autocomplete = 'email';
      label = t('inputEmail');
    } else if (type === 'phone') {
      i.type = 'tel';
      i.setAttribute('inputmode', 'tel');
      i.autocomplete = 'tel';
      label = t('inputPhone');
    } else if (type === 'number' || type === 'house_number' || type === 'bsn') {
      i.setAttribute('inputmode', 'numeric');
    } else if (type === 'postcode') {
      i.autocomplete = 'postal-code';
    }
    const person = !input && handoffActive();
    el.inputLabel.textContent = person ? t('inputMessage') : label;
    el.hint.textContent = input ? t('hintAnswer') : (person ? t('hintMessage') : t('hint'));
  }

  async function uploadPhoto(control) {
    const file = control.files && control.files[0];
    if (!file) { notice(t('photoNone'), true); control.focus(); return; }
    if (file.size > MAX_UPLOAD) { notice(t('photoBig'), true); return; }
    if (state.busy) return;
    setBusy(true);
    const id = state.id;
    let result;
    try {
      result = await api('POST', convUrl('/attachments'), file, file.type || 'application/octet-stream');
    } catch (e) {
      setBusy(false);
      notice(t('errNetwork'), true);
      return;
    }
    setBusy(false);
    if (state.id !== id) return;
    if (result.status === 201 && result.body && typeof result.body.action === 'string') {
      send({ action: result.body.action }, t('photoSent') + ': ' + String(file.name).slice(0, 100));
    } else if (result.status === 415) {
      notice(t('photoType'), true);
    } else if (result.status === 413) {
      notice(t('photoBig'), true);
    } else if (result.status === 400) {
      notice(t('photoBad'), true);
    } else {
      showError(result);
    }
  }

  /* ---- busy and typing ---- */

  function setBusy(busy) {
    state.busy = busy;
    el.send.setAttribute('aria-disabled', String(busy));
  }

  function setTyping(text) {
    el.typing.textContent = text || '';
    el.typing.classList.toggle('loket-typing--on', Boolean(text));
  }

  function finishPending() {
    state.pendingSeq = 0;
    clearTimeout(state.pendingTimer);
    setTyping('');
    setBusy(false);
  }

  function showError(result) {
    const code = errorCode(result);
    if (code === 'empty_text' || code === 'missing_text') notice(t('errEmpty'), true);
    else if (code === 'text_too_long' || code === 'payload_too_large') notice(t('errTooLong'), true);
    else if (code === 'reply_pending' || result.status === 409) notice(t('errPending'), true);
    else if (result.status === 429) notice(t('errBusy'), true);
    else if (result.status >= 500) notice(t('errServer'), true);
    else notice(t('errInput'), true);
  }

  /* ---- the conversation ---- */

  async function create() {
    setTyping(t('starting'));
    try {
      const body = { lang: state.lang, channel: 'web' };
      if (BOT) body.bot = BOT;
      const result = await api('POST', API, body);
      if (result.status !== 201 || !result.body || typeof result.body.id !== 'string' ||
          typeof result.body.token !== 'string') {
        notice(t('errStart'), true);
        return false;
      }
      state.id = result.body.id;
      state.token = result.body.token;
      if (STRINGS[result.body.lang]) state.lang = result.body.lang;
      save();
      applyLanguage();
      (result.body.messages || []).forEach(function (m) { render(m, true); });
      openStream();
      return true;
    } catch (e) {
      notice(t('errNetwork'), true);
      return false;
    } finally {
      setTyping('');
    }
  }

  /* Renders the stored transcript (after a reload); only the turns after the last user turn keep
   * their buttons, because only those can still be answered. */
  async function resume(saved) {
    state.id = saved.id;
    state.token = saved.token;
    try {
      const result = await api('GET', convUrl());
      if (result.status === 200 && result.body && Array.isArray(result.body.messages)) {
        if (STRINGS[result.body.lang]) state.lang = result.body.lang;
        applyLanguage();
        clearLog();
        renderAll(result.body.messages);
        if ('handoff' in result.body) setHandoff(result.body.handoff);
        save();
        openStream();
        return true;
      }
      if (result.status === 404 || result.status === 401) {
        forget();
        const ok = await create();
        if (ok) notice(t('errGone'), false);
        return ok;
      }
      showError(result);
    } catch (e) {
      notice(t('errNetwork'), true);
    }
    return false;
  }

  function renderAll(messages) {
    let lastUser = -1;
    messages.forEach(function (m, i) { if (m && m.role === 'user') lastUser = i; });
    messages.slice(-MAX_MESSAGES).forEach(function (m, i, list) {
      render(m, i + messages.length - list.length > lastUser);
    });
  }

  /* Reads the transcript and shows what this tab has not seen (a pending answer whose event we
   * missed, for instance). */
  async function catchUp() {
    if (!state.id) return;
    const id = state.id;
    try {
      const result = await api('GET', convUrl());
      if (state.id === id && result.status === 200 && result.body && Array.isArray(result.body.messages)) {
        result.body.messages.forEach(function (m) {
          if (m && typeof m.seq === 'number' && m.seq > 0 && !state.seen.has(m.seq)) render(m, true);
        });
      }
    } catch (e) { /* the stream or the next poll will bring it */ }
  }

  function forget() {
    stopStream();
    state.id = null;
    state.token = null;
    finishPending();
    clearLog();
    setHandoff(null);
    save();
  }

  /* Starts (or continues) the conversation the first time the panel opens. */
  function begin() {
    if (state.id || state.starting) return state.starting || Promise.resolve(Boolean(state.id));
    state.starting = settle(create());
    return state.starting;
  }

  /* Keeps the start-up promise in state.starting until it settles (ES2017: no finally). */
  function settle(promise) {
    const done = function (ok) {
      state.starting = null;
      return ok;
    };
    return promise.then(done, function () { return done(false); });
  }

  async function ensure() {
    if (state.id) return true;
    return begin();
  }

  function byteLength(text) {
    return new TextEncoder().encode(text).length;
  }

  function sendText(event) {
    event.preventDefault();
    if (state.busy) {
      notice(t('errPending'), true);
      return;
    }
    const text = el.input.value.trim();
    if (!text) {
      notice(t('errEmpty'), true);
      el.input.focus();
      return;
    }
    if (byteLength(text) > MAX_TEXT_BYTES) {
      notice(t('errTooLong'), true);
      el.input.focus();
      return;
    }
    el.input.value = '';
    send({ text: text }, text);
  }

  /* Sends one user turn (text or action) and shows the reply; a streamed answer arrives on the
   * events stream. */
  async function send(body, shown) {
    if (state.busy) return;
    if (!(await ensure())) return;
    if (active() !== el.input) el.input.focus();
    clearControls();
    const item = messageElement({ role: 'user', text: shown }, false);
    el.log.appendChild(item);
    const entry = { role: 'user', who: t('userName'), text: shown, created_at: new Date().toISOString(), sources: [] };
    state.messages.push(entry);
    state.local = { el: item, entry: entry, after: state.lastSeq };
    const id = state.id;
    scrollToEnd(item);
    setBusy(true);
    if (!handoffActive()) setTyping(t('typing'));
    let pending = false;
    try {
      const result = await api('POST', convUrl('/messages'), Object.assign({ stream: true }, body));
      const out = result.body || {};
      if (state.id !== id) return;   /* started over meanwhile */
      if (out.state && typeof out.state === 'object' && 'handoff' in out.state) setHandoff(out.state.handoff);
      if (result.status === 200 && Array.isArray(out.messages)) {
        const seqs = out.messages.map(function (m) { return m && m.seq; })
          .filter(function (s) { return typeof s === 'number'; });
        if (seqs.length) claimLocal(Math.min.apply(null, seqs) - 1);
        out.messages.forEach(function (m) { render(m, true); });
      } else if (result.status === 202 && out.pending && typeof out.pending.seq === 'number') {
        claimLocal(out.pending.seq - 1);
        if (!state.seen.has(out.pending.seq)) {
          pending = true;
          state.pendingSeq = out.pending.seq;
          openStream();
          schedulePendingPoll();
        }
      } else if (result.status === 404 || result.status === 401) {
        forget();
        if (await create()) notice(t('errGone'), true);
      } else {
        dropLocal(item, entry);
        showError(result);
      }
    } catch (e) {
      /* Not sent (or the answer was lost): give the text back; if the server did store it, the
       * events stream replays it. */
      if (state.id !== id) return;
      dropLocal(item, entry);
      if (body.text && !el.input.value) el.input.value = body.text;
      notice(t('errNetwork'), true);
      scheduleReconnect(true);
    } finally {
      if (!pending) {
        if (!state.agentTyping) setTyping('');
        setBusy(false);
      }
    }
  }

  function dropLocal(item, entry) {
    if (state.local && state.local.el === item) state.local = null;
    if (!item.hasAttribute('data-seq')) {
      item.remove();
      const i = state.messages.indexOf(entry);
      if (i >= 0) state.messages.splice(i, 1);
    }
  }

  function schedulePendingPoll() {
    clearTimeout(state.pendingTimer);
    state.pendingTimer = setTimeout(function poll() {
      if (!state.pendingSeq) return;
      catchUp().then(function () {
        if (state.pendingSeq) state.pendingTimer = setTimeout(poll, PENDING_POLL_MS);
      });
    }, PENDING_POLL_MS);
  }

  /* ---- start over (erase the old conversation: privacy) and switch language ---- */

  async function startOver(lang, focus) {
    if (state.starting) return;
    const old = state.id ? { id: state.id, token: state.token } : null;
    stopStream();
    if (old) {
      try {
        await fetch(API + '/' + encodeURIComponent(old.id), {
          method: 'DELETE', headers: { Authorization: 'Bearer ' + old.token }, mode: 'cors',
          credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer'
        });
      } catch (e) { /* offline: the server forgets it with its retention period */ }
    }
    forget();
    state.lang = lang;
    applyLanguage();
    const ok = await begin();
    if (ok && old) notice(t('startedOver'), false);
    if (focus) el.input.focus();
  }

  /* ---- the transcript as a text file ---- */

  function downloadTranscript() {
    const lines = [t('transcriptTitle'), t('transcriptSaved') + ' ' + stamp(new Date().toISOString()), ''];
    state.messages.forEach(function (m) {
      lines.push('[' + stamp(m.created_at) + '] ' + (m.who || (m.role === 'user' ? t('userName') : t('botName'))) +
        (m.generated ? ' (' + t('generated') + ')' : '') + ':');
      String(m.text || '').split('\n').forEach(function (line) { lines.push('  ' + line); });
      m.sources.forEach(function (s) {
        if (s && typeof s.url === 'string') lines.push('  ' + t('sources') + ' ' + String(s.title || '') + ' - ' + s.url);
      });
      lines.push('');
    });
    const blob = new Blob([lines.join('\r\n')], { type: 'text/plain;charset=utf-8' });
    const url = URL.createObjectURL(blob);
    const a = make('a', 'loket-vh');
    a.href = url;
    a.download = (state.lang === 'en' ? 'conversation-' : 'gesprek-') +
      new Date().toISOString().slice(0, 10) + '.txt';
    el.root.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
    notice(t('downloaded'), false);
  }

  function stamp(iso) {
    const d = new Date(iso);
    if (isNaN(d.getTime())) return String(iso || '');
    const pad = function (n) { return (n < 10 ? '0' : '') + n; };
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' +
      pad(d.getHours()) + ':' + pad(d.getMinutes());
  }

  /* ---- the events stream: fetch + Authorization, reconnect with backoff, replay after lastSeq ---- */

  function stopStream() {
    clearTimeout(state.retryTimer);
    clearTimeout(state.silenceTimer);
    state.retryTimer = 0;
    if (state.stream) {
      const ctl = state.stream;
      state.stream = null;
      ctl.abort();
    }
  }

  function scheduleReconnect(soon) {
    if (!state.id || state.stream || state.retryTimer) return;
    const delay = soon ? 250 : Math.min(15000, 500 * Math.pow(2, state.retry)) * (0.5 + Math.random() / 2);
    state.retry = Math.min(state.retry + 1, 8);
    state.retryTimer = setTimeout(function () {
      state.retryTimer = 0;
      openStream();
    }, delay);
  }

  function watchSilence(ctl) {
    clearTimeout(state.silenceTimer);
    state.silenceTimer = setTimeout(function () { if (state.stream === ctl) ctl.abort(); }, STREAM_SILENCE_MS);
  }

  function dispatch(type, payload) {
    let value;
    try { value = JSON.parse(payload); } catch (e) { return; }
    if (!value || typeof value !== 'object') return;
    if (type === 'message') {
      render(value, true);
    } else if (type === 'token') {
      draftToken(value.seq, value.text);
    } else if (type === 'typing') {
      if (value.role === 'agent') agentTyping(value.name);
    } else if (type === 'handoff') {
      setHandoff(Object.assign({}, state.handoff || {}, value));
    }
  }

  function openStream() {
    if (!state.id || state.stream) return;
    clearTimeout(state.retryTimer);
    state.retryTimer = 0;
    const ctl = new AbortController();
    state.stream = ctl;
    const id = state.id;
    const url = convUrl('/events') + '?after=' + encodeURIComponent(String(state.lastSeq));
    watchSilence(ctl);
    fetch(url, {
      headers: { Authorization: 'Bearer ' + state.token, Accept: 'text/event-stream' },
      signal: ctl.signal, mode: 'cors', credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer'
    }).then(async function (response) {
      if (response.status === 401 || response.status === 404) {
        if (state.stream === ctl) state.stream = null;
        return 'gone';
      }
      if (!response.ok || !response.body) throw new Error('events ' + response.status);
      state.retry = 0;
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      let ev = { type: '', data: [] };
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) break;
        watchSilence(ctl);
        buffer += decoder.decode(chunk.value, { stream: true });
        if (buffer.length > MAX_EVENT_BUFFER) throw new Error('event too large');
        let nl;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          let line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          if (line.endsWith('\r')) line = line.slice(0, -1);
          if (line === '') {
            if (ev.data.length && state.id === id) dispatch(ev.type || 'message', ev.data.join('\n'));
            ev = { type: '', data: [] };
          } else if (line[0] !== ':') {
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            let value = colon < 0 ? '' : line.slice(colon + 1);
            if (value[0] === ' ') value = value.slice(1);
            if (field === 'event') ev.type = value;
            else if (field === 'data') ev.data.push(value);
          }
        }
      }
      return 'closed';
    }).catch(function () {
      return 'failed';
    }).then(function (how) {
      if (state.stream === ctl) state.stream = null;
      clearTimeout(state.silenceTimer);
      if (how !== 'gone' && state.id === id) {
        scheduleReconnect(false);
        if (state.pendingSeq) catchUp();
      }
    });
  }

  window.addEventListener('online', function () {
    if (!state.id) return;
    stopStream();
    state.retry = 0;
    openStream();
    catchUp();
  });

  /* ---- start ---- */

  function init() {
    if (!document.body) return;
    build();
    const saved = load();
    if (saved && STRINGS[saved.lang]) state.lang = saved.lang;
    applyLanguage();
    if (saved) {
      state.lastSeq = 0;
      if (!inline && saved.open) {
        state.open = true;
        el.panel.hidden = false;
        el.launcher.setAttribute('aria-expanded', 'true');
        el.host.classList.add('loket-is-open');
      }
      state.starting = settle(resume(saved));
    } else if (inline) {
      begin();
    }
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
}());
