/* chat.js - behaviour of the Loket chat page (web/chat/index.html).
 * Talks to the v1 HTTP API (create conversation, post message or quick-reply action, get the
 * transcript, delete), keeps the conversation id and token in sessionStorage so a reload
 * continues it, and holds every UI string in one catalogue (Dutch first, English alongside).
 * Plain ES2017, no framework, no inline script or style, no innerHTML: CSP-friendly. */
'use strict';

(function () {
  /* All text the page shows, in plain (B1) language. Dutch first. */
  const STRINGS = {
    nl: {
      pageTitle: 'Chat met de gemeente',
      title: 'Chat met de gemeente',
      skip: 'Ga naar het invoerveld',
      langLabel: 'Kies een taal',
      aiNotice: 'U praat met een AI-assistent, een computerprogramma. Het is geen mens. ' +
        'Het antwoord kan fout zijn. Controleer het altijd op de pagina van de gemeente. ' +
        'Deel geen persoonlijke gegevens zoals uw BSN.',
      logTitle: 'Gesprek',
      inputLabel: 'Uw vraag',
      inputHint: 'Typ uw vraag en druk op Enter.',
      send: 'Versturen',
      privacyTitle: 'Uw gesprek wissen',
      privacyText: 'Wij bewaren dit gesprek om u te helpen. U kunt het gesprek nu wissen. ' +
        'Daarna is het weg en kan niemand het meer lezen. U begint dan een nieuw gesprek.',
      deleteButton: 'Wis dit gesprek',
      deleteConfirm: 'Weet u het zeker? Het gesprek is daarna helemaal weg.',
      deleteYes: 'Ja, wis het gesprek',
      deleteNo: 'Nee, niet wissen',
      deleted: 'Het gesprek is gewist. U kunt een nieuwe vraag stellen.',
      botName: 'AI-assistent',
      userName: 'U',
      sources: 'Bron:',
      newWindow: '(opent in een nieuw venster)',
      typing: 'De assistent schrijft een antwoord…',
      starting: 'Het gesprek wordt gestart…',
      errNetwork: 'Er is geen verbinding met de gemeente. Controleer uw internet en probeer het opnieuw.',
      errEmpty: 'Typ eerst uw vraag.',
      errTooLong: 'Uw bericht is te lang. Maak het korter en probeer het opnieuw.',
      errGone: 'Dit gesprek bestaat niet meer. Er is een nieuw gesprek gestart.',
      errInput: 'Uw bericht kon niet worden verwerkt. Probeer het anders te zeggen.',
      errBusy: 'Het is nu erg druk. Probeer het over een minuut opnieuw.',
      errServer: 'Er ging iets mis bij de gemeente. Probeer het later opnieuw.',
      errDelete: 'Het gesprek kon niet worden gewist. Probeer het opnieuw.'
    },
    en: {
      pageTitle: 'Chat with the municipality',
      title: 'Chat with the municipality',
      skip: 'Go to the input field',
      langLabel: 'Choose a language',
      aiNotice: 'You are talking to an AI assistant, a computer program. It is not a person. ' +
        'The answer can be wrong. Always check it on the municipality\'s page. ' +
        'Do not share personal details such as your citizen service number (BSN).',
      logTitle: 'Conversation',
      inputLabel: 'Your question',
      inputHint: 'Type your question and press Enter.',
      send: 'Send',
      privacyTitle: 'Delete your conversation',
      privacyText: 'We keep this conversation to help you. You can delete it now. ' +
        'After that it is gone and nobody can read it. You then start a new conversation.',
      deleteButton: 'Delete this conversation',
      deleteConfirm: 'Are you sure? The conversation will be gone completely.',
      deleteYes: 'Yes, delete the conversation',
      deleteNo: 'No, keep it',
      deleted: 'The conversation has been deleted. You can ask a new question.',
      botName: 'AI assistant',
      userName: 'You',
      sources: 'Source:',
      newWindow: '(opens in a new window)',
      typing: 'The assistant is writing an answer…',
      starting: 'Starting the conversation…',
      errNetwork: 'There is no connection with the municipality. Check your internet and try again.',
      errEmpty: 'Please type your question first.',
      errTooLong: 'Your message is too long. Make it shorter and try again.',
      errGone: 'This conversation no longer exists. A new conversation has started.',
      errInput: 'Your message could not be processed. Try saying it differently.',
      errBusy: 'It is very busy right now. Please try again in a minute.',
      errServer: 'Something went wrong at the municipality. Please try again later.',
      errDelete: 'The conversation could not be deleted. Please try again.'
    }
  };

  const API = '/api/v1/conversations';
  const STORAGE_KEY = 'loket.conversation';
  const LANG_KEY = 'loket.lang';
  const MAX_TEXT_BYTES = 4096;

  const state = { id: null, token: null, lang: 'nl', busy: false };
  const el = {};

  function t(key) {
    const table = STRINGS[state.lang] || STRINGS.nl;
    return table[key] !== undefined ? table[key] : STRINGS.nl[key];
  }

  /* ---- storage: id + token survive a reload of this tab, nothing more ---- */

  function loadSession() {
    try {
      const saved = JSON.parse(window.sessionStorage.getItem(STORAGE_KEY) || 'null');
      if (saved && typeof saved.id === 'string' && typeof saved.token === 'string') return saved;
    } catch (e) { /* storage blocked or corrupt: start fresh */ }
    return null;
  }

  function saveSession() {
    try {
      window.sessionStorage.setItem(STORAGE_KEY,
        JSON.stringify({ id: state.id, token: state.token, lang: state.lang }));
      window.sessionStorage.setItem(LANG_KEY, state.lang);
    } catch (e) { /* private mode: the page still works, a reload starts over */ }
  }

  function forgetSession() {
    state.id = null;
    state.token = null;
    try { window.sessionStorage.removeItem(STORAGE_KEY); } catch (e) { /* ignore */ }
  }

  function savedLang() {
    try {
      const lang = window.sessionStorage.getItem(LANG_KEY);
      if (lang && STRINGS[lang]) return lang;
    } catch (e) { /* ignore */ }
    return 'nl';
  }

  /* ---- HTTP: one helper; returns {status, body} or throws on network failure ---- */

  async function api(method, path, body) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (state.token) headers.Authorization = 'Bearer ' + state.token;
    const response = await fetch(path, {
      method: method,
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store'
    });
    let data = null;
    if (response.status !== 204) {
      try { data = await response.json(); } catch (e) { data = null; }
    }
    return { status: response.status, body: data };
  }

  function errorCode(result) {
    return result && result.body && result.body.error && result.body.error.code;
  }

  /* ---- UI text and language ---- */

  function applyLanguage() {
    document.documentElement.lang = state.lang;
    document.title = t('pageTitle');
    document.querySelectorAll('[data-i18n]').forEach(function (node) {
      node.textContent = t(node.getAttribute('data-i18n'));
    });
    document.querySelectorAll('.lang-button').forEach(function (button) {
      button.setAttribute('aria-pressed', String(button.getAttribute('data-lang') === state.lang));
    });
    el.log.setAttribute('lang', state.lang);
  }

  /* ---- rendering the log (textContent only, never HTML from the server) ---- */

  function isSafeUrl(url) {
    try {
      const parsed = new URL(url, window.location.href);
      return parsed.protocol === 'https:' || parsed.protocol === 'http:';
    } catch (e) { return false; }
  }

  function renderSources(sources) {
    const wrap = document.createElement('div');
    wrap.className = 'sources';
    const label = document.createElement('span');
    label.className = 'sources-label';
    label.textContent = t('sources') + ' ';
    wrap.appendChild(label);
    const list = document.createElement('ul');
    sources.forEach(function (source) {
      if (!source || !isSafeUrl(source.url)) return;
      const item = document.createElement('li');
      const link = document.createElement('a');
      link.href = source.url;
      link.target = '_blank';
      link.rel = 'noopener noreferrer';
      link.className = 'source-link';
      link.textContent = source.title || source.url;
      const hint = document.createElement('span');
      hint.className = 'visually-hidden';
      hint.textContent = ' ' + t('newWindow');
      link.appendChild(hint);
      item.appendChild(link);
      list.appendChild(item);
    });
    wrap.appendChild(list);
    return list.children.length ? wrap : null;
  }

  function renderQuickReplies(replies) {
    const group = document.createElement('div');
    group.className = 'quick-replies';
    group.setAttribute('role', 'group');
    replies.forEach(function (reply) {
      if (!reply || typeof reply.payload !== 'string') return;
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'quick-reply';
      button.textContent = reply.label || reply.payload;
      button.addEventListener('click', function () { sendAction(reply.payload, button.textContent); });
      group.appendChild(button);
    });
    return group.children.length ? group : null;
  }

  function appendMessage(message, withReplies) {
    const isUser = message.role === 'user';
    const item = document.createElement('li');
    item.className = 'message ' + (isUser ? 'from-user' : 'from-bot') +
      (message.kind ? ' kind-' + String(message.kind).replace(/[^a-z_]/g, '') : '');
    if (typeof message.seq === 'number') item.dataset.seq = String(message.seq);

    const who = document.createElement('span');
    who.className = 'sender';
    who.textContent = (isUser ? t('userName') : t('botName')) + ':';
    item.appendChild(who);

    const text = document.createElement('p');
    text.className = 'text';
    text.textContent = message.text || '';
    item.appendChild(text);

    if (!isUser && Array.isArray(message.sources) && message.sources.length) {
      const sources = renderSources(message.sources);
      if (sources) item.appendChild(sources);
    }
    if (!isUser && withReplies && Array.isArray(message.quick_replies) && message.quick_replies.length) {
      const replies = renderQuickReplies(message.quick_replies);
      if (replies) item.appendChild(replies);
    }
    el.log.appendChild(item);
    scrollToEnd(item);
    return item;
  }

  function appendNotice(text, isError) {
    const item = document.createElement('li');
    item.className = isError ? 'notice error' : 'notice';
    const p = document.createElement('p');
    p.className = 'text';
    p.textContent = text;
    item.appendChild(p);
    el.log.appendChild(item);
    scrollToEnd(item);
  }

  /* Quick replies belong to the latest answer; older ones go away once the user moves on. */
  function removeQuickReplies() {
    el.log.querySelectorAll('.quick-replies').forEach(function (group) {
      if (group.contains(document.activeElement)) el.input.focus();
      group.remove();
    });
  }

  function clearLog() {
    while (el.log.firstChild) el.log.removeChild(el.log.firstChild);
  }

  /* Brings a new message into view inside the log only (the page itself does not jump). A tall
   * answer is shown from its first line, so people start reading at the top. */
  function scrollToEnd(item) {
    const log = el.log;
    if (!item || log.scrollHeight <= log.clientHeight) return;
    const reduce = window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches;
    const top = item.offsetHeight > log.clientHeight - 16
      ? item.offsetTop - 8
      : item.offsetTop + item.offsetHeight - log.clientHeight + 8;
    if (top > log.scrollTop) log.scrollTo({ top: top, behavior: reduce ? 'auto' : 'smooth' });
  }

  function setTyping(text) {
    el.typing.textContent = text || '';
    el.typing.classList.toggle('active', Boolean(text));
  }

  function setBusy(busy) {
    state.busy = busy;
    el.send.setAttribute('aria-disabled', String(busy));
    el.log.setAttribute('aria-busy', String(busy));
  }

  function showError(result) {
    const code = errorCode(result);
    if (code === 'empty_text' || code === 'missing_text') appendNotice(t('errEmpty'), true);
    else if (code === 'text_too_long' || code === 'payload_too_large') appendNotice(t('errTooLong'), true);
    else if (result.status === 429) appendNotice(t('errBusy'), true);
    else if (result.status >= 500) appendNotice(t('errServer'), true);
    else appendNotice(t('errInput'), true);
  }

  /* ---- conversation life cycle ---- */

  async function startConversation(lang) {
    forgetSession();
    state.lang = lang;
    applyLanguage();
    clearLog();
    setBusy(true);
    setTyping(t('starting'));
    try {
      const result = await api('POST', API, { lang: lang, channel: 'web' });
      if (result.status !== 201 || !result.body || !result.body.id) {
        showError(result);
        return false;
      }
      state.id = result.body.id;
      state.token = result.body.token;
      if (result.body.lang && STRINGS[result.body.lang]) state.lang = result.body.lang;
      saveSession();
      applyLanguage();
      (result.body.messages || []).forEach(function (m) { appendMessage(m, true); });
      return true;
    } catch (e) {
      appendNotice(t('errNetwork'), true);
      return false;
    } finally {
      setTyping('');
      setBusy(false);
    }
  }

  /* Shows the stored transcript; only the bot messages after the last user turn keep their
   * quick replies, because only those still make sense to click. */
  function renderTranscript(messages) {
    let lastUser = -1;
    messages.forEach(function (m, i) { if (m.role === 'user') lastUser = i; });
    messages.forEach(function (m, i) { appendMessage(m, i > lastUser); });
  }

  async function resumeConversation(saved) {
    state.id = saved.id;
    state.token = saved.token;
    state.lang = STRINGS[saved.lang] ? saved.lang : 'nl';
    applyLanguage();
    try {
      const result = await api('GET', API + '/' + encodeURIComponent(saved.id));
      if (result.status === 200 && result.body && Array.isArray(result.body.messages)) {
        if (result.body.lang && STRINGS[result.body.lang]) state.lang = result.body.lang;
        applyLanguage();
        clearLog();
        renderTranscript(result.body.messages);
        return;
      }
      if (result.status === 404 || result.status === 401) {
        await startConversation(state.lang);
        appendNotice(t('errGone'), false);
        return;
      }
      showError(result);
    } catch (e) {
      appendNotice(t('errNetwork'), true);
    }
  }

  async function ensureConversation() {
    if (state.id) return true;
    return startConversation(state.lang);
  }

  /* Sends one user turn (text or quick-reply action) and shows the bot's reply. */
  async function post(body, shownText) {
    if (state.busy) return;
    if (!(await ensureConversation())) return;
    removeQuickReplies();
    appendMessage({ role: 'user', text: shownText }, false);
    setBusy(true);
    setTyping(t('typing'));
    try {
      const result = await api('POST', API + '/' + encodeURIComponent(state.id) + '/messages', body);
      if (result.status === 200 && result.body && Array.isArray(result.body.messages)) {
        result.body.messages.forEach(function (m) { appendMessage(m, true); });
      } else if (result.status === 404 || result.status === 401) {
        setTyping('');
        setBusy(false);
        await startConversation(state.lang);
        appendNotice(t('errGone'), true);
      } else {
        showError(result);
      }
    } catch (e) {
      appendNotice(t('errNetwork'), true);
    } finally {
      setTyping('');
      setBusy(false);
    }
  }

  function byteLength(text) {
    return new TextEncoder().encode(text).length;
  }

  function sendText(event) {
    event.preventDefault();
    if (state.busy) return;
    const text = el.input.value.trim();
    if (!text) {
      appendNotice(t('errEmpty'), true);
      el.input.focus();
      return;
    }
    if (byteLength(text) > MAX_TEXT_BYTES) {
      appendNotice(t('errTooLong'), true);
      el.input.focus();
      return;
    }
    el.input.value = '';
    el.input.focus();
    post({ text: text }, text);
  }

  function sendAction(payload, label) {
    el.input.focus();
    post({ action: payload }, label);
  }

  /* ---- deleting the conversation (AVG art. 17): ask once, then erase and start anew ---- */

  function showDeleteConfirm() {
    if (el.confirm) { el.confirmYes.focus(); return; }
    const box = document.createElement('div');
    box.className = 'confirm';
    box.setAttribute('role', 'group');
    const question = document.createElement('p');
    question.id = 'delete-question';
    question.textContent = t('deleteConfirm');
    box.setAttribute('aria-labelledby', 'delete-question');
    const yes = document.createElement('button');
    yes.type = 'button';
    yes.className = 'danger';
    yes.id = 'delete-yes';
    yes.textContent = t('deleteYes');
    const no = document.createElement('button');
    no.type = 'button';
    no.className = 'secondary';
    no.id = 'delete-no';
    no.textContent = t('deleteNo');
    yes.addEventListener('click', deleteConversation);
    no.addEventListener('click', hideDeleteConfirm);
    box.append(question, yes, no);
    el.deleteButton.after(box);
    el.confirm = box;
    el.confirmYes = yes;
    yes.focus();
  }

  function hideDeleteConfirm() {
    if (!el.confirm) return;
    el.confirm.remove();
    el.confirm = null;
    el.confirmYes = null;
    el.deleteButton.focus();
  }

  async function deleteConversation() {
    if (state.busy) return;
    const lang = state.lang;
    if (state.id) {
      try {
        const result = await api('DELETE', API + '/' + encodeURIComponent(state.id));
        if (result.status !== 204 && result.status !== 404) {
          appendNotice(t('errDelete'), true);
          return;
        }
      } catch (e) {
        appendNotice(t('errNetwork'), true);
        return;
      }
    }
    hideDeleteConfirm();
    await startConversation(lang);
    appendNotice(t('deleted'), false);
    el.input.focus();
  }

  /* ---- wiring ---- */

  function switchLanguage(lang) {
    if (!STRINGS[lang] || state.busy) return;
    if (lang === state.lang && state.id) return;
    hideDeleteConfirm();
    startConversation(lang).then(function () { el.input.focus(); });
  }

  function init() {
    el.log = document.getElementById('log');
    el.typing = document.getElementById('typing');
    el.form = document.getElementById('composer');
    el.input = document.getElementById('chat-input');
    el.send = document.getElementById('send');
    el.deleteButton = document.getElementById('delete');
    el.confirm = null;

    el.form.addEventListener('submit', sendText);
    el.deleteButton.addEventListener('click', showDeleteConfirm);
    document.querySelectorAll('.lang-button').forEach(function (button) {
      button.addEventListener('click', function () { switchLanguage(button.getAttribute('data-lang')); });
    });
    document.addEventListener('keydown', function (event) {
      if (event.key === 'Escape' && el.confirm) hideDeleteConfirm();
    });

    const saved = loadSession();
    if (saved) {
      resumeConversation(saved);
    } else {
      state.lang = savedLang();
      startConversation(state.lang);
    }
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
}());
