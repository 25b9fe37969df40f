/* agent.js - the Loket agent console (web/agent/index.html): login, the live queue, one
 * conversation taken over from the bot (history, what the bot filled in, reply, canned responses,
 * release / transfer / return to the bot / close with a summary, supervisor assignment), the
 * questions citizens left outside office hours (tickets), the audit log and accounts.
 *
 * Talks to the agent API under /api/v1/agent/ (cookie session; the CSRF token from login or /me
 * lives in memory only and goes along as X-CSRF-Token on every POST). Two EventSource streams:
 * /api/v1/agent/events (queue and ticket changes; refetches /queue, debounced) and, for the open
 * conversation, /api/v1/agent/conversations/:id/events (messages by seq, "typing", "handoff").
 * Plain ES2017, no framework, no innerHTML, no inline script or style (CSP "default-src 'self'").
 * Every text is in STRINGS (nl first, en with the same keys). */
(function () {
  'use strict';

  const STRINGS = {
    nl: {
      pageTitle: 'Loket – medewerkers',
      brand: 'Loket – medewerkers',
      skip: 'Naar de inhoud',
      otherLang: 'English',
      logout: 'Uitloggen',
      navLabel: 'Hoofdmenu',
      navQueue: 'Wachtrij',
      navTickets: 'Vragen',
      navAudit: 'Logboek',
      navAccounts: 'Accounts',
      role_agent: 'medewerker',
      role_supervisor: 'teamleider',
      role_admin: 'beheerder',
      loginTitle: 'Inloggen',
      loginIntro: 'Log in met uw medewerkersaccount.',
      username: 'Gebruikersnaam',
      password: 'Wachtwoord',
      loginButton: 'Inloggen',
      loginMissing: 'Vul uw gebruikersnaam en wachtwoord in.',
      loginInvalid: 'De gebruikersnaam of het wachtwoord klopt niet.',
      loginLocked: 'Te vaak een verkeerd wachtwoord. Wacht een minuut en probeer het dan opnieuw.',
      loggedOut: 'U bent uitgelogd.',
      sessionEnded: 'Uw sessie is verlopen. Log opnieuw in.',
      queueTitle: 'Wachtrij',
      claimNext: 'Volgende aannemen',
      waitingTitle: 'Wachtende burgers',
      mineTitle: 'Mijn gesprekken',
      othersTitle: 'Bij collega\'s',
      teamOpen: 'open',
      teamClosed: 'gesloten',
      teamLine: '{state} · {waiting} wachtend · {assigned} in behandeling',
      noneWaiting: 'Er wacht niemand.',
      noneMine: 'U heeft nu geen gesprekken.',
      noneOthers: 'Collega\'s hebben nu geen gesprekken.',
      queueCount: 'Wachtend in uw teams: {n}',
      position: 'Nummer {n}',
      waited: 'wacht {time}',
      since: 'sinds {time}',
      seconds: '{n} s',
      minutes: '{n} min',
      hours: '{h} u {m} min',
      claim: 'Aannemen',
      claimHidden: 'nummer {n} van {team}',
      openHidden: 'gesprek van {team}',
      open: 'Openen',
      view: 'Bekijken',
      unread: 'Nieuw bericht',
      with: 'bij {name}',
      newWaiting: 'Nieuw in de wachtrij: {team}. Wachtend: {n}.',
      newMessageOther: 'Nieuw bericht in een van uw andere gesprekken.',
      queueEmpty: 'Er wacht nu niemand in uw teams.',
      alreadyClaimed: 'Een collega heeft dit gesprek net aangenomen. Kies een ander gesprek.',
      forbidden: 'Dit gesprek hoort bij een team waar u niet in zit.',
      notFound: 'Dit gesprek bestaat niet meer.',
      reason_asked: 'vroeg om een medewerker',
      reason_fallbacks: 'de bot begreep de vraag niet',
      reason_flow_fails: 'liep vast in een formulier',
      reason_topic: 'onderwerp voor een medewerker',
      reason_after_hours: 'buiten openingstijden',
      channel_web: 'website',
      channel_telegram: 'Telegram',
      channel_whatsapp: 'WhatsApp',
      lang_nl: 'Nederlands',
      lang_en: 'Engels',
      back: 'Terug naar de wachtrij',
      convTitle: 'Gesprek',
      convTitleTeam: 'Gesprek – {team}',
      historyTitle: 'Berichten',
      citizen: 'Burger',
      citizenButton: 'Burger (koos een knop)',
      bot: 'Bot',
      botNotice: 'Bot (melding)',
      agentLabel: '{name} (medewerker)',
      agentUnknown: 'Medewerker',
      generated: 'Geschreven door AI',
      buttonsOffered: 'Knoppen: {list}',
      sources: 'Bronnen:',
      newWindow: '(opent in een nieuw venster)',
      citizenTyping: 'Burger typt…',
      replyLabel: 'Uw antwoord aan de burger',
      replyHint: 'Enter verstuurt. Shift+Enter begint een nieuwe regel.',
      send: 'Versturen',
      cannedTitle: 'Standaardantwoorden',
      cannedHint: 'Een knop zet de tekst in het antwoordvak. U kunt hem daar nog aanpassen.',
      cannedInsert: 'invoegen',
      detailsTitle: 'Over dit gesprek',
      dTeam: 'Team',
      dStatus: 'Status',
      dReason: 'Reden',
      dWaited: 'Gewacht',
      dLang: 'Taal',
      dChannel: 'Kanaal',
      dStarted: 'Begonnen',
      status_waiting: 'wacht op een medewerker',
      status_assigned: 'in behandeling bij {name}',
      status_closed: 'afgesloten',
      status_none: 'bij de bot',
      flowTitle: 'Wat de bot al heeft ingevuld',
      flowNone: 'De bot heeft niets ingevuld.',
      flow_flow: 'Formulier',
      flow_step: 'Vraag',
      flow_phase: 'Fase',
      flow_slots: 'Ingevuld',
      actionsTitle: 'Acties',
      release: 'Teruggeven aan wachtrij',
      returnBot: 'Terug naar de bot',
      close: 'Afsluiten',
      transferTo: 'Doorzetten naar team',
      transfer: 'Doorzetten',
      closeSummary: 'Samenvatting voor het dossier',
      closeHint: 'Pas de samenvatting aan als dat nodig is. De burger ziet de samenvatting niet.',
      closeConfirm: 'Gesprek afsluiten',
      cancel: 'Annuleren',
      assignTitle: 'Toewijzen',
      assignTo: 'Aan medewerker',
      assign: 'Toewijzen',
      online: 'online',
      offline: 'offline',
      released: 'Het gesprek staat weer in de wachtrij.',
      returned: 'Het gesprek is teruggegeven aan de bot.',
      closed: 'Het gesprek is afgesloten.',
      transferred: 'Het gesprek is doorgezet naar {team}.',
      assigned: 'Het gesprek is toegewezen aan {name}.',
      claimed: 'U helpt nu deze burger.',
      readWaiting: 'Deze burger wacht op een medewerker. Neem het gesprek aan om te antwoorden.',
      readOther: '{name} helpt deze burger. U leest mee.',
      readClosed: 'Dit gesprek is niet (meer) bij een medewerker. U leest mee.',
      lostHold: 'U behandelt dit gesprek niet meer.',
      notHolder: 'U behandelt dit gesprek niet (meer). Uw bericht is niet verstuurd.',
      unknownTeam: 'Dat team bestaat niet.',
      noTeams: 'Er is geen ander team.',
      ticketsTitle: 'Achtergelaten vragen',
      ticketShow: 'Toon',
      ticketOpen: 'Open',
      ticketDoneList: 'Afgehandeld',
      noTickets: 'Er zijn geen vragen.',
      ticketHead: '{ref} – {team}',
      tCreated: 'Gesteld op',
      tName: 'Naam',
      tContact: 'Contact',
      tLang: 'Taal',
      tQuestion: 'Vraag',
      tDone: 'Afgehandeld op',
      tDoneBy: 'Door',
      markDone: 'Afgehandeld',
      markDoneHidden: 'vraag {ref}',
      ticketDone: 'Vraag {ref} is afgehandeld.',
      ticketAlreadyDone: 'Vraag {ref} was al afgehandeld.',
      auditTitle: 'Logboek',
      auditIntro: 'Wie deed wat en wanneer. Het logboek bevat geen inhoud van gesprekken.',
      auditCaption: 'Logboek, nieuwste eerst',
      aWhen: 'Tijd',
      aWho: 'Wie',
      aAction: 'Actie',
      aConv: 'Gesprek',
      aTeam: 'Team',
      aDetail: 'Details',
      auditMore: 'Oudere regels laden',
      auditEmpty: 'Het logboek is leeg.',
      actor_citizen: 'burger',
      actor_bot: 'bot',
      actor_system: 'systeem',
      action_handoff: 'naar de wachtrij',
      action_claim: 'aangenomen',
      action_assign: 'toegewezen',
      action_transfer: 'doorgezet',
      action_release: 'teruggegeven aan wachtrij',
      action_timeout: 'medewerker onbereikbaar',
      action_return: 'terug naar de bot',
      action_close: 'afgesloten',
      action_cancel: 'gestopt met wachten',
      action_ticket_done: 'vraag afgehandeld',
      action_login: 'ingelogd',
      action_login_failed: 'inloggen mislukt',
      action_logout: 'uitgelogd',
      action_account_add: 'account toegevoegd',
      action_account_update: 'account gewijzigd',
      accountsTitle: 'Accounts',
      accountsCaption: 'Alle accounts',
      accName: 'Naam (die de burger ziet)',
      accRole: 'Rol',
      accTeams: 'Teams',
      accPassword: 'Wachtwoord',
      accOnline: 'Online',
      accStatus: 'Status',
      accAction: 'Actie',
      accActive: 'actief',
      accDisabled: 'uitgeschakeld',
      accDisable: 'Uitschakelen',
      accEnable: 'Inschakelen',
      accountAdd: 'Account toevoegen',
      accountAddButton: 'Account toevoegen',
      accountAdded: 'Account {name} is toegevoegd.',
      accountUpdated: 'Account {name} is bijgewerkt.',
      yes: 'ja',
      no: 'nee',
      errNetwork: 'Er is geen verbinding met de server. Probeer het opnieuw.',
      errServer: 'Er ging iets mis. Probeer het opnieuw.',
      errEmpty: 'Typ eerst een antwoord.',
      errRights: 'U mag dit niet doen.',
      errBusy: 'Dat lukte niet: het gesprek is intussen veranderd.'
    },
    en: {
      pageTitle: 'Loket – agents',
      brand: 'Loket – agents',
      skip: 'Skip to content',
      otherLang: 'Nederlands',
      logout: 'Log out',
      navLabel: 'Main menu',
      navQueue: 'Queue',
      navTickets: 'Questions',
      navAudit: 'Audit log',
      navAccounts: 'Accounts',
      role_agent: 'agent',
      role_supervisor: 'supervisor',
      role_admin: 'administrator',
      loginTitle: 'Log in',
      loginIntro: 'Log in with your agent account.',
      username: 'Username',
      password: 'Password',
      loginButton: 'Log in',
      loginMissing: 'Please enter your username and password.',
      loginInvalid: 'The username or password is incorrect.',
      loginLocked: 'Too many wrong passwords. Wait a minute and try again.',
      loggedOut: 'You have logged out.',
      sessionEnded: 'Your session has expired. Please log in again.',
      queueTitle: 'Queue',
      claimNext: 'Take the next one',
      waitingTitle: 'Citizens waiting',
      mineTitle: 'My conversations',
      othersTitle: 'With colleagues',
      teamOpen: 'open',
      teamClosed: 'closed',
      teamLine: '{state} · {waiting} waiting · {assigned} in progress',
      noneWaiting: 'Nobody is waiting.',
      noneMine: 'You have no conversations now.',
      noneOthers: 'Colleagues have no conversations now.',
      queueCount: 'Waiting in your teams: {n}',
      position: 'Number {n}',
      waited: 'waiting {time}',
      since: 'for {time}',
      seconds: '{n} s',
      minutes: '{n} min',
      hours: '{h} h {m} min',
      claim: 'Take',
      claimHidden: 'number {n} of {team}',
      openHidden: 'conversation of {team}',
      open: 'Open',
      view: 'View',
      unread: 'New message',
      with: 'with {name}',
      newWaiting: 'New in the queue: {team}. Waiting: {n}.',
      newMessageOther: 'New message in one of your other conversations.',
      queueEmpty: 'Nobody is waiting in your teams now.',
      alreadyClaimed: 'A colleague has just taken this conversation. Please choose another one.',
      forbidden: 'This conversation belongs to a team you are not in.',
      notFound: 'This conversation no longer exists.',
      reason_asked: 'asked for a person',
      reason_fallbacks: 'the bot did not understand',
      reason_flow_fails: 'got stuck in a form',
      reason_topic: 'topic for a person',
      reason_after_hours: 'outside office hours',
      channel_web: 'web site',
      channel_telegram: 'Telegram',
      channel_whatsapp: 'WhatsApp',
      lang_nl: 'Dutch',
      lang_en: 'English',
      back: 'Back to the queue',
      convTitle: 'Conversation',
      convTitleTeam: 'Conversation – {team}',
      historyTitle: 'Messages',
      citizen: 'Citizen',
      citizenButton: 'Citizen (chose a button)',
      bot: 'Bot',
      botNotice: 'Bot (notice)',
      agentLabel: '{name} (agent)',
      agentUnknown: 'Agent',
      generated: 'Written by AI',
      buttonsOffered: 'Buttons: {list}',
      sources: 'Sources:',
      newWindow: '(opens in a new window)',
      citizenTyping: 'Citizen is typing…',
      replyLabel: 'Your answer to the citizen',
      replyHint: 'Enter sends. Shift+Enter starts a new line.',
      send: 'Send',
      cannedTitle: 'Canned responses',
      cannedHint: 'A button puts the text in the answer box. You can still change it there.',
      cannedInsert: 'insert',
      detailsTitle: 'About this conversation',
      dTeam: 'Team',
      dStatus: 'Status',
      dReason: 'Reason',
      dWaited: 'Waited',
      dLang: 'Language',
      dChannel: 'Channel',
      dStarted: 'Started',
      status_waiting: 'waiting for an agent',
      status_assigned: 'in progress with {name}',
      status_closed: 'closed',
      status_none: 'with the bot',
      flowTitle: 'What the bot filled in',
      flowNone: 'The bot filled in nothing.',
      flow_flow: 'Form',
      flow_step: 'Question',
      flow_phase: 'Phase',
      flow_slots: 'Filled in',
      actionsTitle: 'Actions',
      release: 'Put back in the queue',
      returnBot: 'Back to the bot',
      close: 'Close',
      transferTo: 'Transfer to team',
      transfer: 'Transfer',
      closeSummary: 'Summary for the file',
      closeHint: 'Change the summary if needed. The citizen does not see the summary.',
      closeConfirm: 'Close the conversation',
      cancel: 'Cancel',
      assignTitle: 'Assign',
      assignTo: 'To agent',
      assign: 'Assign',
      online: 'online',
      offline: 'offline',
      released: 'The conversation is back in the queue.',
      returned: 'The conversation has been given back to the bot.',
      closed: 'The conversation has been closed.',
      transferred: 'The conversation has been transferred to {team}.',
      assigned: 'The conversation has been assigned to {name}.',
      claimed: 'You are now helping this citizen.',
      readWaiting: 'This citizen is waiting for an agent. Take the conversation to answer.',
      readOther: '{name} is helping this citizen. You are reading along.',
      readClosed: 'This conversation is not with an agent (any more). You are reading along.',
      lostHold: 'You are no longer handling this conversation.',
      notHolder: 'You are not handling this conversation (any more). Your message was not sent.',
      unknownTeam: 'That team does not exist.',
      noTeams: 'There is no other team.',
      ticketsTitle: 'Questions left behind',
      ticketShow: 'Show',
      ticketOpen: 'Open',
      ticketDoneList: 'Done',
      noTickets: 'There are no questions.',
      ticketHead: '{ref} – {team}',
      tCreated: 'Asked on',
      tName: 'Name',
      tContact: 'Contact',
      tLang: 'Language',
      tQuestion: 'Question',
      tDone: 'Done on',
      tDoneBy: 'By',
      markDone: 'Done',
      markDoneHidden: 'question {ref}',
      ticketDone: 'Question {ref} is done.',
      ticketAlreadyDone: 'Question {ref} was already done.',
      auditTitle: 'Audit log',
      auditIntro: 'Who did what and when. The log holds no content of conversations.',
      auditCaption: 'Audit log, newest first',
      aWhen: 'Time',
      aWho: 'Who',
      aAction: 'Action',
      aConv: 'Conversation',
      aTeam: 'Team',
      aDetail: 'Details',
      auditMore: 'Load older entries',
      auditEmpty: 'The audit log is empty.',
      actor_citizen: 'citizen',
      actor_bot: 'bot',
      actor_system: 'system',
      action_handoff: 'queued',
      action_claim: 'taken',
      action_assign: 'assigned',
      action_transfer: 'transferred',
      action_release: 'put back in the queue',
      action_timeout: 'agent unreachable',
      action_return: 'back to the bot',
      action_close: 'closed',
      action_cancel: 'stopped waiting',
      action_ticket_done: 'question done',
      action_login: 'logged in',
      action_login_failed: 'login failed',
      action_logout: 'logged out',
      action_account_add: 'account added',
      action_account_update: 'account changed',
      accountsTitle: 'Accounts',
      accountsCaption: 'All accounts',
      accName: 'Name (shown to citizens)',
      accRole: 'Role',
      accTeams: 'Teams',
      accPassword: 'Password',
      accOnline: 'Online',
      accStatus: 'Status',
      accAction: 'Action',
      accActive: 'active',
      accDisabled: 'disabled',
      accDisable: 'Disable',
      accEnable: 'Enable',
      accountAdd: 'Add an account',
      accountAddButton: 'Add account',
      accountAdded: 'Account {name} has been added.',
      accountUpdated: 'Account {name} has been updated.',
      yes: 'yes',
      no: 'no',
      errNetwork: 'There is no connection with the server. Please try again.',
      errServer: 'Something went wrong. Please try again.',
      errEmpty: 'Please type an answer first.',
      errRights: 'You are not allowed to do this.',
      errBusy: 'That did not work: the conversation has changed meanwhile.'
    }
  };

  const API = '/api/v1/agent';
  const TYPING_EVERY_MS = 3000;       /* send "typing" at most this often */
  const TYPING_SHOW_MS = 4000;        /* "Burger typt…" stays this long after the last event */
  const DEBOUNCE_MS = 200;            /* queue refetch after a burst of events */
  const RECONNECT_MS = 3000;          /* a closed stream is opened again after this */
  const MAX_MESSAGES = 2000;          /* messages shown in one conversation */
  const LANG_KEY = 'loket-agent-lang';

  const state = {
    lang: savedLang(), me: null, csrf: null, teams: [], canned: {}, timeoutS: 0,
    queue: null, queueAt: 0, queueTimer: 0, queueBusy: false, queueAgain: false, known: null,
    unread: new Set(), es: null, esRetry: 0,
    convId: null, conv: null, convEs: null, convRetry: 0, convTimer: 0, seen: new Set(), lastSeq: 0,
    labels: new Map(), typingTimer: 0, typingSent: 0, sending: false,
    accounts: null, auditBefore: 0, ticketTimer: 0, openTickets: 0, view: null
  };

  function savedLang() {
    try {
      const l = window.localStorage.getItem(LANG_KEY);
      if (l && STRINGS[l]) return l;
    } catch (e) { /* storage blocked */ }
    return 'nl';
  }

  function t(key, vars) {
    const table = STRINGS[state.lang] || STRINGS.nl;
    let s = table[key] !== undefined ? table[key] : (STRINGS.nl[key] !== undefined ? STRINGS.nl[key] : key);
    if (vars) s = s.replace(/\{(\w+)\}/g, function (all, k) { return vars[k] !== undefined ? String(vars[k]) : all; });
    return s;
  }

  /* ---- small DOM helpers (textContent only, never HTML) ---- */

  function $(id) { return document.getElementById(id); }

  function make(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function button(cls, text, hidden) {
    const b = make('button', cls, text);
    b.type = 'button';
    if (hidden) b.appendChild(make('span', 'visually-hidden', ' ' + hidden));
    return b;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function dlRow(dl, term, value) {
    dl.appendChild(make('dt', '', term));
    const dd = make('dd');
    if (value instanceof Node) dd.appendChild(value);
    else dd.textContent = value === undefined || value === null || value === '' ? '–' : String(value);
    dl.appendChild(dd);
    return dd;
  }

  function str(v, max) {
    return (typeof v === 'string' ? v : (v === undefined || v === null ? '' : String(v))).slice(0, max || 2000);
  }

  /* ---- what others said: announcements (polite) and a visible line at the top ---- */

  let announceTimer = 0;
  function announce(text) {
    const region = $('announce');
    clearTimeout(announceTimer);
    region.textContent = '';
    announceTimer = setTimeout(function () { region.textContent = text; }, 60);
  }

  let flashAt = 0;
  function flash(text, isError) {
    const f = $('flash');
    flashAt = Date.now();
    f.textContent = text || '';
    f.hidden = !text;
    f.classList.toggle('flash--error', Boolean(isError));
    if (text) announce(text);
  }

  /* ---- HTTP: {status, body}; status 0 when the network failed ---- */

  async function api(method, path, body) {
    const headers = { Accept: 'application/json' };
    if (method !== 'GET' && state.csrf) headers['X-CSRF-Token'] = state.csrf;
    let payload;
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(API + path, {
        method: method, headers: headers, body: payload, credentials: 'same-origin', cache: 'no-store'
      });
    } catch (e) {
      return { status: 0, body: null };
    }
    let json = null;
    if (response.status !== 204) {
      try { json = await response.json(); } catch (e) { json = null; }
    }
    if (response.status === 401 && path !== '/login' && state.me) sessionEnded();
    return { status: response.status, body: json };
  }

  function errorCode(r) {
    return r && r.body && r.body.error && typeof r.body.error.code === 'string' ? r.body.error.code : '';
  }

  function errorMessage(r) {
    return r && r.body && r.body.error && typeof r.body.error.message === 'string' ? r.body.error.message : '';
  }

  /* The usual answers to a failed call, as a visible, announced line. */
  function showFailure(r) {
    const code = errorCode(r);
    if (r.status === 0) flash(t('errNetwork'), true);
    else if (r.status === 401) return;   /* sessionEnded() already showed the login */
    else if (code === 'already_claimed') flash(t('alreadyClaimed'), true);
    else if (code === 'queue_empty') flash(t('queueEmpty'), true);
    else if (code === 'not_holder') flash(t('notHolder'), true);
    else if (code === 'unknown_team') flash(t('unknownTeam'), true);
    else if (r.status === 403) flash(t('forbidden'), true);
    else if (r.status === 404) flash(t('notFound'), true);
    else if (r.status === 409) flash(t('errBusy'), true);
    else if (r.status >= 400 && r.status < 500 && errorMessage(r)) flash(errorMessage(r), true);
    else flash(t('errServer'), true);
  }

  /* ---- small formatting ---- */

  function teamName(id) {
    const team = state.teams.find(function (x) { return x && x.id === id; });
    if (!team) return str(id, 64);
    if (team.names && typeof team.names === 'object' && team.names[state.lang]) return str(team.names[state.lang], 128);
    if (team.name && typeof team.name === 'object') return str(team.name[state.lang] || team.name.nl || id, 128);
    return str(team.name || id, 128);
  }

  /* A team's name in the console's language when /me knows the team, else what the server sent. */
  function teamLabel(id, sent) {
    const known = state.teams.some(function (x) { return x && x.id === id; });
    return known ? teamName(id) : str(sent || id, 128);
  }

  function duration(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    if (s < 60) return t('seconds', { n: s });
    if (s < 3600) return t('minutes', { n: Math.floor(s / 60) });
    return t('hours', { h: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60) });
  }

  function stamp(iso) {
    const d = new Date(iso);
    if (!iso || isNaN(d.getTime())) return str(iso, 40);
    try {
      return d.toLocaleString(state.lang === 'en' ? 'en-GB' : 'nl-NL',
        { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
    } catch (e) { return d.toISOString(); }
  }

  function clock(iso) {
    const d = new Date(iso);
    if (!iso || isNaN(d.getTime())) return '';
    const pad = function (n) { return (n < 10 ? '0' : '') + n; };
    return pad(d.getHours()) + ':' + pad(d.getMinutes());
  }

  function labelOf(prefix, value) {
    const key = prefix + String(value || '');
    return STRINGS.nl[key] !== undefined ? t(key) : str(value, 64);
  }

  function isSupervisor() {
    return Boolean(state.me && (state.me.role === 'supervisor' || state.me.role === 'admin'));
  }

  function isAdmin() {
    return Boolean(state.me && state.me.role === 'admin');
  }

  /* ---- language ---- */

  function applyLanguage() {
    document.documentElement.lang = state.lang;
    document.querySelectorAll('[data-i18n]').forEach(function (node) {
      node.textContent = t(node.getAttribute('data-i18n'));
    });
    document.querySelectorAll('[data-i18n-label]').forEach(function (node) {
      node.setAttribute('aria-label', t(node.getAttribute('data-i18n-label')));
    });
    const lb = $('lang-button');
    lb.textContent = t('otherLang');
    lb.setAttribute('lang', state.lang === 'nl' ? 'en' : 'nl');
    renderWho();
    updateTitle();
    if (state.me) rerender();
  }

  function switchLanguage() {
    state.lang = state.lang === 'nl' ? 'en' : 'nl';
    try { window.localStorage.setItem(LANG_KEY, state.lang); } catch (e) { /* fine */ }
    applyLanguage();
  }

  function rerender() {
    if (state.queue) renderQueue();
    if (state.view === 'conv' && state.conv) {
      /* the senders' labels too: read the conversation again in the new language */
      clear($('history'));
      state.seen.clear();
      loadConv(true);
    }
    if (state.view === 'tickets') loadTickets();
    if (state.view === 'audit') loadAudit(true);
    if (state.view === 'accounts') loadAccounts();
  }

  function renderWho() {
    const who = $('who');
    if (!state.me) {
      who.hidden = true;
      return;
    }
    who.hidden = false;
    who.textContent = str(state.me.name, 128) + ' · ' + labelOf('role_', state.me.role);
  }

  function updateTitle() {
    const n = state.queue ? state.queue.total : 0;
    document.title = (state.me && n ? '(' + n + ') ' : '') + t('pageTitle');
  }

  /* ---- views and navigation (#queue, #conv/<id>, #tickets, #audit, #accounts) ---- */

  const VIEWS = ['login', 'queue', 'conv', 'tickets', 'audit', 'accounts'];

  function show(view, focus) {
    if (state.view === 'conv' && view !== 'conv') leaveConv();
    state.view = view;
    if (Date.now() - flashAt > 1500) flash('');   /* a line from an earlier view */
    VIEWS.forEach(function (v) { $('view-' + v).hidden = v !== view; });
    document.querySelectorAll('.nav-button').forEach(function (b) {
      const current = b.getAttribute('data-view') === view || (view === 'conv' && b.getAttribute('data-view') === 'queue');
      if (current) b.setAttribute('aria-current', 'page');
      else b.removeAttribute('aria-current');
    });
    if (focus !== false) {
      const heading = $('view-' + view).querySelector('h1');
      if (heading) heading.focus();
    }
  }

  function go(hash) {
    if (window.location.hash === hash) route();
    else window.location.hash = hash;
  }

  function route() {
    if (!state.me) return;
    const hash = window.location.hash.replace(/^#/, '');
    const m = /^conv\/([0-9a-f]{1,64})$/.exec(hash);
    if (m) {
      if (state.view !== 'conv' || state.convId !== m[1]) openConv(m[1]);
      return;
    }
    if (hash === 'tickets') {
      show('tickets');
      loadTickets();
    } else if (hash === 'audit' && isSupervisor()) {
      show('audit');
      loadAudit(true);
    } else if (hash === 'accounts' && isAdmin()) {
      show('accounts');
      loadAccounts();
    } else {
      show('queue');
      scheduleQueue();
    }
  }

  /* ---- login, session, logout ---- */

  function loginError(text) {
    const e = $('login-error');
    e.textContent = text || '';
    e.hidden = !text;
  }

  async function login(event) {
    event.preventDefault();
    const user = $('login-username');
    const pass = $('login-password');
    if (!user.value.trim() || !pass.value) {
      loginError(t('loginMissing'));
      (user.value.trim() ? pass : user).focus();
      return;
    }
    loginError('');
    const r = await api('POST', '/login', { username: user.value.trim(), password: pass.value });
    if (r.status === 200 && r.body && typeof r.body.csrf === 'string') {
      pass.value = '';
      state.csrf = r.body.csrf;
      flash('');
      await startSession(r.body);
      return;
    }
    pass.value = '';
    if (r.status === 429) loginError(t('loginLocked'));
    else if (r.status === 401 || r.status === 400) loginError(t('loginInvalid'));
    else if (r.status === 0) loginError(t('errNetwork'));
    else loginError(t('errServer'));
    pass.focus();
  }

  function applyMe(body) {
    if (!body || !body.agent) return;
    state.me = body.agent;
    if (typeof body.csrf === 'string') state.csrf = body.csrf;
    if (Array.isArray(body.teams)) state.teams = body.teams.filter(function (x) { return x && typeof x.id === 'string'; });
    if (body.canned && typeof body.canned === 'object') state.canned = body.canned;
    if (typeof body.agent_timeout_s === 'number') state.timeoutS = body.agent_timeout_s;
  }

  /* After login (or on a reload with a live cookie): /me, the console stream, the first view. */
  async function startSession(loginBody, meBody) {
    const r = meBody ? { status: 200, body: meBody } : await api('GET', '/me');
    if (r.status !== 200 || !r.body || !r.body.agent) {
      if (loginBody && loginBody.agent) applyMe(loginBody);
      else {
        showLogin();
        return false;
      }
    } else {
      applyMe(r.body);
    }
    $('nav').hidden = false;
    $('logout').hidden = false;
    document.querySelector('.nav-button[data-view="audit"]').hidden = !isSupervisor();
    document.querySelector('.nav-button[data-view="accounts"]').hidden = !isAdmin();
    renderWho();
    openConsoleStream();
    refreshTicketCount();
    route();
    return true;
  }

  function showLogin() {
    $('nav').hidden = true;
    $('logout').hidden = true;
    renderWho();
    show('login', false);
    $('login-username').focus();
  }

  /* Forgets everything the session knew (the cookie is gone or expired). */
  function resetSession() {
    closeConsoleStream();
    leaveConv();
    clearTimeout(state.queueTimer);
    clearTimeout(state.ticketTimer);
    state.me = null;
    state.csrf = null;
    state.queue = null;
    state.known = null;
    state.accounts = null;
    state.unread.clear();
    updateTitle();
  }

  function sessionEnded() {
    if (!state.me) return;
    resetSession();
    showLogin();
    loginError(t('sessionEnded'));
  }

  async function logout() {
    await api('POST', '/logout', {});
    resetSession();
    showLogin();
    flash(t('loggedOut'));
    if (window.location.hash) history.replaceState(null, '', window.location.pathname);
  }

  /* ---- the console stream: queue and ticket changes ---- */

  function closeConsoleStream() {
    if (state.es) {
      state.es.close();
      state.es = null;
    }
  }

  function openConsoleStream() {
    closeConsoleStream();
    const es = new EventSource(API + '/events');
    state.es = es;
    es.addEventListener('open', function () {
      state.esRetry = 0;
      scheduleQueue();
    });
    es.addEventListener('queue', function (event) {
      let data = null;
      try { data = JSON.parse(event.data); } catch (e) { data = null; }
      onQueueEvent(data || {});
    });
    es.addEventListener('ticket', function () { scheduleTickets(); });
    es.addEventListener('error', function () {
      if (es.readyState !== EventSource.CLOSED || state.es !== es) return;
      state.es = null;
      /* Closed for good (an error status): a 401 means the session is over. */
      setTimeout(async function () {
        if (!state.me || state.es) return;
        const r = await api('GET', '/me');
        if (r.status === 200 && state.me && !state.es) openConsoleStream();
        else if (r.status !== 401 && state.me && !state.es) setTimeout(function () { if (state.me && !state.es) openConsoleStream(); }, RECONNECT_MS);
      }, Math.min(30000, RECONNECT_MS * Math.pow(2, state.esRetry++)));
    });
  }

  function onQueueEvent(data) {
    const conv = typeof data.conv_id === 'string' ? data.conv_id : '';
    if (data.action === 'message' && conv && conv !== state.convId && state.queue &&
        (state.queue.mine || []).some(function (h) { return h.conv_id === conv; })) {
      if (!state.unread.has(conv)) announce(t('newMessageOther'));
      state.unread.add(conv);
    }
    if (conv && conv === state.convId && state.view === 'conv') scheduleConvRefresh();
    scheduleQueue();
  }

  /* ---- the queue ---- */

  function scheduleQueue() {
    clearTimeout(state.queueTimer);
    state.queueTimer = setTimeout(refreshQueue, DEBOUNCE_MS);
  }

  async function refreshQueue() {
    if (!state.me) return;
    if (state.queueBusy) {
      state.queueAgain = true;
      return;
    }
    state.queueBusy = true;
    try {
      const both = await Promise.all([api('GET', '/queue'), api('GET', '/me')]);
      const q = both[0];
      if (both[1].status === 200) applyMe(both[1].body);
      if (q.status === 200 && q.body && state.me) {
        state.queue = {
          waiting: Array.isArray(q.body.waiting) ? q.body.waiting : [],
          mine: Array.isArray(q.body.mine) ? q.body.mine : [],
          assigned: Array.isArray(q.body.assigned) ? q.body.assigned : []
        };
        /* the list may be cut short; waiting_total counts them all */
        state.queue.total = typeof q.body.waiting_total === 'number' ? q.body.waiting_total : state.queue.waiting.length;
        state.queueAt = Date.now();
        announceQueue();
        renderQueue();
      }
    } finally {
      state.queueBusy = false;
      if (state.queueAgain) {
        state.queueAgain = false;
        scheduleQueue();
      }
    }
  }

  /* Says which conversations came into the queue since the last look (not the first look). */
  function announceQueue() {
    const now = new Set(state.queue.waiting.map(function (h) { return h.conv_id; }));
    if (state.known) {
      const fresh = state.queue.waiting.filter(function (h) { return !state.known.has(h.conv_id); });
      if (fresh.length) {
        announce(t('newWaiting', { team: teamLabel(fresh[0].team, fresh[0].team_name), n: state.queue.total }));
      }
    }
    state.known = now;
    const mine = new Set(state.queue.mine.map(function (h) { return h.conv_id; }));
    state.unread.forEach(function (id) { if (!mine.has(id)) state.unread.delete(id); });
  }

  function waitedSpan(h, key) {
    const span = make('span', 'waited');
    span.setAttribute('data-waited', String(Number(h.waited_s) || 0));
    span.setAttribute('data-key', key);
    span.textContent = t(key, { time: duration(Number(h.waited_s) || 0) });
    return span;
  }

  function tickWaited() {
    if (!state.queueAt) return;
    const extra = (Date.now() - state.queueAt) / 1000;
    document.querySelectorAll('#view-queue .waited').forEach(function (span) {
      span.textContent = t(span.getAttribute('data-key'),
        { time: duration(Number(span.getAttribute('data-waited')) + extra) });
    });
  }

  /* One conversation in a list: what it is about, and its button. */
  function queueItem(h, kind) {
    const li = make('li', 'item');
    const conv = str(h.conv_id, 64);
    li.setAttribute('data-conv', conv);
    const line = make('p', 'item-line');
    const team = teamLabel(h.team, h.team_name);
    const bits = [];
    if (kind === 'waiting' && h.position) bits.push(make('strong', '', t('position', { n: h.position })));
    if (kind !== 'waiting') bits.push(make('strong', '', team));
    bits.push(waitedSpan(h, kind === 'waiting' ? 'waited' : 'since'));
    if (h.channel) bits.push(make('span', '', labelOf('channel_', h.channel)));
    if (h.lang) bits.push(make('span', '', labelOf('lang_', h.lang)));
    if (h.reason) bits.push(make('span', '', labelOf('reason_', h.reason)));
    if (kind === 'others' && h.agent_name) bits.push(make('span', '', t('with', { name: str(h.agent_name, 128) })));
    bits.forEach(function (b, i) {
      if (i) line.appendChild(document.createTextNode(' · '));
      line.appendChild(b);
    });
    li.appendChild(line);
    if (kind === 'mine' && state.unread.has(conv)) li.appendChild(make('p', 'unread', t('unread')));
    if (h.preview) li.appendChild(make('p', 'preview', '“' + str(h.preview, 140) + '”'));
    let b;
    if (kind === 'waiting') {
      b = button('primary', t('claim'), t('claimHidden', { n: h.position || '', team: team }));
      b.addEventListener('click', function () { claim(conv); });
    } else {
      b = button('secondary', kind === 'mine' ? t('open') : t('view'), t('openHidden', { team: team }));
      b.addEventListener('click', function () { go('#conv/' + conv); });
    }
    b.setAttribute('data-focus-key', kind + ':' + conv);
    li.appendChild(b);
    return li;
  }

  function queueList(items, kind, empty) {
    if (!items.length) return make('p', 'muted', empty);
    const ul = make('ul', 'items');
    items.forEach(function (h) { if (h && typeof h.conv_id === 'string') ul.appendChild(queueItem(h, kind)); });
    return ul;
  }

  function renderQueue() {
    const q = state.queue;
    if (!q) return;
    const focusKey = document.activeElement && document.activeElement.getAttribute
      ? document.activeElement.getAttribute('data-focus-key') : null;
    const waiting = $('waiting');
    clear(waiting);
    /* Per team: the visible teams from /me, and any team a waiting conversation names. */
    const ids = state.teams.map(function (x) { return x.id; });
    q.waiting.forEach(function (h) { if (h && ids.indexOf(h.team) < 0) ids.push(h.team); });
    ids.forEach(function (id) {
      const team = state.teams.find(function (x) { return x.id === id; }) || { id: id };
      const list = q.waiting.filter(function (h) { return h && h.team === id; });
      const sec = make('section', 'team');
      const hid = 'team-' + String(id).replace(/[^a-z0-9-]/g, '');
      sec.setAttribute('aria-labelledby', hid);
      const h3 = make('h3', '', teamName(id));
      h3.id = hid;
      sec.appendChild(h3);
      if (team.open !== undefined) {
        sec.appendChild(make('p', 'muted', t('teamLine', {
          state: team.open ? t('teamOpen') : t('teamClosed'),
          waiting: typeof team.waiting === 'number' ? team.waiting : list.length,
          assigned: Number(team.assigned) || 0
        })));
      }
      sec.appendChild(queueList(list, 'waiting', t('noneWaiting')));
      waiting.appendChild(sec);
    });
    if (!ids.length) waiting.appendChild(make('p', 'muted', t('noneWaiting')));
    const mine = $('mine');
    clear(mine);
    mine.appendChild(queueList(q.mine, 'mine', t('noneMine')));
    const others = $('others');
    clear(others);
    $('others-block').hidden = !isSupervisor() && !q.assigned.length;
    others.appendChild(queueList(q.assigned, 'others', t('noneOthers')));
    $('queue-live').textContent = t('queueCount', { n: q.total });
    $('nav-queue-count').textContent = q.total ? '(' + q.total + ')' : '';
    updateTitle();
    if (focusKey) {
      const again = document.querySelector('[data-focus-key="' + focusKey.replace(/[^a-z0-9:-]/gi, '') + '"]');
      if (again) again.focus();
      else if (state.view === 'queue') $('queue-title').focus();
    }
  }

  async function claim(convId) {
    const r = await api('POST', '/claim', convId ? { conv_id: convId } : {});
    if (r.status === 200 && r.body && r.body.handoff && typeof r.body.handoff.conv_id === 'string') {
      flash(t('claimed'));
      scheduleQueue();
      go('#conv/' + r.body.handoff.conv_id);
      return;
    }
    showFailure(r);
    scheduleQueue();
  }

  /* ---- one conversation ---- */

  function convPath(suffix) {
    return '/conversations/' + encodeURIComponent(state.convId) + (suffix || '');
  }

  function leaveConv() {
    closeConvStream();
    clearTimeout(state.convTimer);
    clearTimeout(state.typingTimer);
    state.convId = null;
    state.conv = null;
  }

  function closeConvStream() {
    if (state.convEs) {
      state.convEs.close();
      state.convEs = null;
    }
  }

  async function openConv(id) {
    if (state.view !== 'conv' || state.convId !== id) {
      leaveConv();
      state.convId = id;
      state.seen.clear();
      state.labels.clear();
      state.lastSeq = 0;
      state.unread.delete(id);
      clear($('history'));
      clear($('details'));
      clear($('flow'));
      $('citizen-typing').textContent = '';
      $('reply-text').value = '';
      $('close-form').hidden = true;
      setConvControls(null);
      show('conv');
    }
    const ok = await loadConv(true);
    if (ok && state.convId === id) openConvStream();
  }

  /* Reads the conversation: details, flow, handoff, and any message not shown yet. */
  async function loadConv(first) {
    const id = state.convId;
    if (!id) return false;
    const r = await api('GET', convPath());
    if (state.convId !== id) return false;
    if (r.status !== 200 || !r.body || !r.body.conversation) {
      showFailure(r);
      if (first && r.status !== 401) go('#queue');
      return false;
    }
    const was = state.conv;
    state.conv = r.body;
    const history = $('history');
    if (first) history.setAttribute('aria-busy', 'true');
    (Array.isArray(r.body.messages) ? r.body.messages : []).forEach(function (m) { renderMsg(m, !first); });
    if (first) {
      history.removeAttribute('aria-busy');
      history.scrollTop = history.scrollHeight;
    }
    rerenderConv(was);
    return true;
  }

  function scheduleConvRefresh() {
    clearTimeout(state.convTimer);
    state.convTimer = setTimeout(function () { loadConv(false); }, DEBOUNCE_MS);
  }

  function holdsIt(conv) {
    const h = conv && conv.handoff;
    return Boolean(h && state.me && h.status === 'assigned' && h.agent_id === state.me.id);
  }

  function rerenderConv(was) {
    const conv = state.conv;
    if (!conv) return;
    const c = conv.conversation || {};
    const h = conv.handoff && typeof conv.handoff === 'object' ? conv.handoff : null;
    $('conv-title').textContent = h ? t('convTitleTeam', { team: teamLabel(h.team, h.team_name) }) : t('convTitle');
    const dl = $('details');
    clear(dl);
    if (h) {
      dlRow(dl, t('dTeam'), teamLabel(h.team, h.team_name));
      dlRow(dl, t('dStatus'), h.status === 'assigned'
        ? t('status_assigned', { name: str(h.agent_name || h.agent_id, 128) })
        : labelOf('status_', h.status));
      dlRow(dl, t('dReason'), labelOf('reason_', h.reason));
      dlRow(dl, t('dWaited'), duration(Number(h.waited_s) || 0));
    } else {
      dlRow(dl, t('dStatus'), t('status_none'));
    }
    dlRow(dl, t('dLang'), labelOf('lang_', c.lang));
    dlRow(dl, t('dChannel'), labelOf('channel_', c.channel));
    dlRow(dl, t('dStarted'), stamp(c.created_at));
    renderFlow(conv.flow);
    const before = was === undefined ? null : holdsIt(was);
    setConvControls(conv);
    if (before === true && !holdsIt(conv)) flash(t('lostHold'), true);
  }

  /* Shows and hides what the agent may do, keeping the focus somewhere sensible. */
  function setConvControls(conv) {
    const focusWasIn = document.activeElement && document.activeElement.closest
      ? document.activeElement.closest('#reply-form, #actions-block, #canned-block, #conv-claim-row, #assign-block') : null;
    const mine = holdsIt(conv);
    const h = conv && conv.handoff;
    $('reply-form').hidden = !mine;
    $('actions-block').hidden = !mine;
    $('canned-block').hidden = !mine;
    $('conv-claim-row').hidden = !(h && h.status === 'waiting');
    $('assign-block').hidden = !(isSupervisor() && h && (h.status === 'waiting' || h.status === 'assigned'));
    const note = $('conv-state');
    if (!conv || mine) {
      note.hidden = true;
      note.textContent = '';
    } else {
      note.hidden = false;
      if (h && h.status === 'waiting') note.textContent = t('readWaiting');
      else if (h && h.status === 'assigned') note.textContent = t('readOther', { name: str(h.agent_name || h.agent_id, 128) });
      else note.textContent = t('readClosed');
    }
    if (mine) {
      renderCanned(conv);
      renderTransfer(h);
    }
    if (!$('assign-block').hidden) renderAssign(h);
    if (focusWasIn && focusWasIn.hidden) {
      note.tabIndex = -1;
      if (!note.hidden) note.focus();
      else $('conv-title').focus();
    }
  }

  function renderCanned(conv) {
    const list = $('canned');
    clear(list);
    const lang = conv && conv.conversation && conv.conversation.lang;
    const texts = Array.isArray(state.canned[lang]) ? state.canned[lang]
      : (Array.isArray(state.canned[state.lang]) ? state.canned[state.lang] : []);
    texts.slice(0, 50).forEach(function (text) {
      if (typeof text !== 'string' || !text) return;
      const b = button('canned-button', str(text, 500));
      b.setAttribute('lang', lang || state.lang);
      b.addEventListener('click', function () { insertCanned(text); });
      list.appendChild(make('li')).appendChild(b);
    });
    $('canned-block').hidden = $('canned-block').hidden || !list.children.length;
  }

  function insertCanned(text) {
    const ta = $('reply-text');
    const start = typeof ta.selectionStart === 'number' ? ta.selectionStart : ta.value.length;
    const end = typeof ta.selectionEnd === 'number' ? ta.selectionEnd : ta.value.length;
    const before = ta.value.slice(0, start);
    const glue = before && !/\s$/.test(before) ? ' ' : '';
    ta.value = before + glue + text + ta.value.slice(end);
    const at = (before + glue + text).length;
    ta.focus();
    ta.setSelectionRange(at, at);
  }

  function renderTransfer(h) {
    const select = $('transfer-team');
    const keep = select.value;
    clear(select);
    state.teams.forEach(function (team) {
      if (!team || team.id === h.team) return;
      const o = make('option', '', teamName(team.id));
      o.value = team.id;
      select.appendChild(o);
    });
    if (keep) select.value = keep;
    $('transfer-form').hidden = !select.options.length;
  }

  async function renderAssign(h) {
    const select = $('assign-agent');
    if (!state.accounts) {
      const r = await api('GET', '/accounts');
      if (r.status === 200 && r.body && Array.isArray(r.body.accounts)) state.accounts = r.body.accounts;
      else return;
    }
    const keep = select.value;
    clear(select);
    state.accounts.forEach(function (a) {
      if (!a || a.disabled || typeof a.id !== 'string' || (h && a.id === h.agent_id)) return;
      const o = make('option', '', str(a.name || a.username, 128) + ' (' + (a.online ? t('online') : t('offline')) + ')');
      o.value = a.id;
      select.appendChild(o);
    });
    if (keep) select.value = keep;
  }

  /* What the bot filled in: dialog_describe()'s {flow, phase, step, idx, slots}, or any object. */
  function renderFlow(flow) {
    const box = $('flow');
    clear(box);
    if (!flow || typeof flow !== 'object') {
      box.appendChild(make('p', 'muted', t('flowNone')));
      return;
    }
    box.appendChild(renderValue(flow, 0, true));
  }

  function renderValue(v, depth, top) {
    if (v === null || v === undefined) return document.createTextNode('–');
    if (Array.isArray(v)) {
      if (depth > 3) return document.createTextNode('…');
      const ul = make('ul', 'plain');
      v.slice(0, 50).forEach(function (x) { ul.appendChild(make('li')).appendChild(renderValue(x, depth + 1)); });
      return ul;
    }
    if (typeof v === 'object') {
      if (depth > 3) return document.createTextNode('…');
      const dl = make('dl', 'dl');
      Object.keys(v).slice(0, 60).forEach(function (k) {
        if (top && k === 'idx') return;
        const label = top && STRINGS.nl['flow_' + k] !== undefined ? t('flow_' + k) : str(k, 64);
        dlRow(dl, label, renderValue(v[k], depth + 1));
      });
      if (!dl.children.length) return make('span', 'muted', '–');
      return dl;
    }
    return document.createTextNode(str(v, 1000));
  }

  /* ---- messages ---- */

  function senderOf(m) {
    if (m.role === 'user') return m.kind === 'action' ? t('citizenButton') : t('citizen');
    if (m.role === 'agent') {
      const name = m.agent && typeof m.agent.name === 'string' && m.agent.name ? m.agent.name : t('agentUnknown');
      return t('agentLabel', { name: str(name, 128) });
    }
    return m.kind === 'handoff' || m.kind === 'system' ? t('botNotice') : t('bot');
  }

  function renderMsg(m) {
    if (!m || typeof m !== 'object') return;
    const seq = typeof m.seq === 'number' ? m.seq : null;
    if (seq !== null) {
      if (state.seen.has(seq)) return;
      state.seen.add(seq);
      if (seq > state.lastSeq) state.lastSeq = seq;
    }
    if (m.role !== 'user' && Array.isArray(m.quick_replies)) {
      m.quick_replies.forEach(function (q) {
        if (q && typeof q.payload === 'string' && typeof q.label === 'string' && state.labels.size < 2000)
          state.labels.set(q.payload, q.label);
      });
    }
    const role = m.role === 'user' ? 'user' : (m.role === 'agent' ? 'agent' : 'bot');
    const item = make('div', 'msg msg--' + role + (m.kind ? ' msg-kind-' + str(m.kind, 20).replace(/[^a-z_]/g, '') : ''));
    if (seq !== null) item.setAttribute('data-seq', String(seq));
    const head = make('p', 'msg-head');
    head.appendChild(make('span', 'msg-sender', senderOf(m) + ':'));
    const when = clock(m.created_at);
    if (when) head.appendChild(make('span', 'msg-time', ' ' + when));
    item.appendChild(head);
    if (m.generated === true) item.appendChild(make('p', 'ai-label', t('generated')));
    let text = str(m.text, 8000);
    if (role === 'user' && m.kind === 'action' && state.labels.has(text)) text = state.labels.get(text);
    const p = make('p', 'msg-text', text);
    const lang = state.conv && state.conv.conversation && state.conv.conversation.lang;
    if (lang) p.setAttribute('lang', lang);
    item.appendChild(p);
    if (role !== 'user' && Array.isArray(m.sources) && m.sources.length) item.appendChild(renderSources(m.sources));
    if (role === 'bot' && Array.isArray(m.quick_replies) && m.quick_replies.length) {
      const labels = m.quick_replies.slice(0, 20).map(function (q) { return q && str(q.label || q.payload, 100); })
        .filter(Boolean);
      if (labels.length) item.appendChild(make('p', 'msg-buttons', t('buttonsOffered', { list: labels.join(' · ') })));
    }
    const history = $('history');
    history.appendChild(item);
    while (history.children.length > MAX_MESSAGES) history.removeChild(history.firstChild);
    if (role === 'user') hideTyping();
    const nearEnd = history.scrollHeight - history.scrollTop - history.clientHeight < 200;
    if (nearEnd || role === 'agent') history.scrollTop = history.scrollHeight;
  }

  function renderSources(sources) {
    const wrap = make('div', 'msg-sources');
    wrap.appendChild(make('span', '', t('sources') + ' '));
    const ul = make('ul', 'inline-list');
    sources.slice(0, 10).forEach(function (s) {
      if (!s || typeof s.url !== 'string' || !/^https?:\/\//i.test(s.url)) return;
      const a = make('a', '', str(s.title || s.url, 300));
      a.href = s.url;
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
      a.appendChild(make('span', 'visually-hidden', ' ' + t('newWindow')));
      ul.appendChild(make('li')).appendChild(a);
    });
    wrap.appendChild(ul);
    return wrap;
  }

  function showTyping() {
    $('citizen-typing').textContent = t('citizenTyping');
    clearTimeout(state.typingTimer);
    state.typingTimer = setTimeout(hideTyping, TYPING_SHOW_MS);
  }

  function hideTyping() {
    clearTimeout(state.typingTimer);
    $('citizen-typing').textContent = '';
  }

  function openConvStream() {
    closeConvStream();
    const id = state.convId;
    if (!id) return;
    const es = new EventSource(API + convPath('/events') + '?after=' + encodeURIComponent(String(state.lastSeq)));
    state.convEs = es;
    const parse = function (event) {
      try { return JSON.parse(event.data); } catch (e) { return null; }
    };
    es.addEventListener('open', function () { state.convRetry = 0; });
    es.addEventListener('message', function (event) {
      const m = parse(event);
      if (state.convId === id && m) renderMsg(m);
    });
    es.addEventListener('typing', function (event) {
      const v = parse(event);
      if (state.convId === id && v && v.role === 'user') showTyping();
    });
    es.addEventListener('handoff', function () {
      if (state.convId === id) scheduleConvRefresh();
    });
    es.addEventListener('error', function () {
      if (es.readyState !== EventSource.CLOSED || state.convEs !== es) return;
      state.convEs = null;
      setTimeout(function () {
        if (state.convId === id && !state.convEs && state.me) {
          loadConv(false).then(function (ok) { if (ok && state.convId === id && !state.convEs) openConvStream(); });
        }
      }, Math.min(30000, RECONNECT_MS * Math.pow(2, state.convRetry++)));
    });
  }

  /* ---- replying ---- */

  async function sendReply(event) {
    event.preventDefault();
    const ta = $('reply-text');
    const text = ta.value.trim();
    if (!text) {
      flash(t('errEmpty'), true);
      ta.focus();
      return;
    }
    if (state.sending) return;
    state.sending = true;
    const id = state.convId;
    const r = await api('POST', convPath('/messages'), { text: text });
    state.sending = false;
    if (state.convId !== id) return;
    if (r.status === 200 || r.status === 201) {
      if (ta.value.trim() === text) ta.value = '';
      flash('');
      if (r.body && r.body.message) renderMsg(r.body.message);
      state.typingSent = 0;
    } else {
      showFailure(r);
      if (r.status === 409 || r.status === 403) scheduleConvRefresh();
    }
    if (!$('reply-form').hidden) ta.focus();
  }

  function replyKeydown(event) {
    if (event.key !== 'Enter' || event.shiftKey || event.altKey || event.ctrlKey || event.metaKey || event.isComposing) return;
    event.preventDefault();
    $('reply-form').requestSubmit();
  }

  function replyInput() {
    const now = Date.now();
    if (!$('reply-text').value || now - state.typingSent < TYPING_EVERY_MS || !state.convId) return;
    state.typingSent = now;
    api('POST', convPath('/typing'), {});
  }

  /* ---- actions on the conversation ---- */

  async function act(path, body, done) {
    const id = state.convId;
    if (!id) return null;
    const r = await api('POST', convPath(path), body || {});
    if (r.status >= 200 && r.status < 300) {
      if (done) done(r);
      return r;
    }
    showFailure(r);
    if (state.convId === id) scheduleConvRefresh();
    return null;
  }

  function backToQueue(message) {
    flash(message);
    go('#queue');
  }

  async function openCloseForm() {
    await loadConv(false);
    if (!holdsIt(state.conv)) return;
    const form = $('close-form');
    const ta = $('close-summary');
    ta.value = state.conv && typeof state.conv.summary_draft === 'string' ? state.conv.summary_draft : '';
    form.hidden = false;
    $('act-close').setAttribute('aria-expanded', 'true');
    ta.focus();
  }

  function cancelClose() {
    $('close-form').hidden = true;
    $('act-close').setAttribute('aria-expanded', 'false');
    $('act-close').focus();
  }

  function bindConvActions() {
    $('conv-back').addEventListener('click', function () { go('#queue'); });
    $('reply-form').addEventListener('submit', sendReply);
    $('reply-text').addEventListener('keydown', replyKeydown);
    $('reply-text').addEventListener('input', replyInput);
    $('conv-claim').addEventListener('click', async function () {
      const r = await api('POST', '/claim', { conv_id: state.convId });
      if (r.status === 200) {
        flash(t('claimed'));
        await loadConv(false);
        if (!$('reply-form').hidden) $('reply-text').focus();
      } else {
        showFailure(r);
        scheduleConvRefresh();
      }
    });
    $('act-release').addEventListener('click', function () {
      act('/release', {}, function () { backToQueue(t('released')); });
    });
    $('act-return').addEventListener('click', function () {
      act('/return', {}, function () { backToQueue(t('returned')); });
    });
    $('act-close').setAttribute('aria-expanded', 'false');
    $('act-close').setAttribute('aria-controls', 'close-form');
    $('act-close').addEventListener('click', function () {
      if ($('close-form').hidden) openCloseForm();
      else $('close-summary').focus();
    });
    $('close-cancel').addEventListener('click', cancelClose);
    $('close-form').addEventListener('keydown', function (event) {
      if (event.key === 'Escape') {
        event.preventDefault();
        cancelClose();
      }
    });
    $('close-form').addEventListener('submit', function (event) {
      event.preventDefault();
      const summary = $('close-summary').value.trim();
      act('/close', summary ? { summary: summary.slice(0, 4000) } : {}, function () {
        $('close-form').hidden = true;
        backToQueue(t('closed'));
      });
    });
    $('transfer-form').addEventListener('submit', function (event) {
      event.preventDefault();
      const team = $('transfer-team').value;
      if (!team) {
        flash(t('noTeams'), true);
        return;
      }
      act('/transfer', { team: team }, function () { backToQueue(t('transferred', { team: teamName(team) })); });
    });
    $('assign-form').addEventListener('submit', function (event) {
      event.preventDefault();
      const select = $('assign-agent');
      const agent = select.value;
      if (!agent) return;
      const name = select.options[select.selectedIndex] ? select.options[select.selectedIndex].textContent : agent;
      act('/assign', { agent_id: agent }, function () {
        flash(t('assigned', { name: name.replace(/ \(.*\)$/, '') }));
        state.accounts = null;
        loadConv(false);
      });
    });
  }

  /* ---- tickets ---- */

  function scheduleTickets() {
    clearTimeout(state.ticketTimer);
    state.ticketTimer = setTimeout(function () {
      refreshTicketCount();
      if (state.view === 'tickets') loadTickets();
    }, DEBOUNCE_MS);
  }

  async function refreshTicketCount() {
    const r = await api('GET', '/tickets?status=open');
    if (r.status !== 200 || !r.body || !Array.isArray(r.body.tickets)) return;
    state.openTickets = r.body.tickets.length;
    $('nav-ticket-count').textContent = state.openTickets ? '(' + state.openTickets + ')' : '';
  }

  async function loadTickets(focusNext) {
    const status = $('ticket-status').value === 'done' ? 'done' : 'open';
    const r = await api('GET', '/tickets?status=' + status);
    const box = $('tickets');
    if (r.status !== 200 || !r.body || !Array.isArray(r.body.tickets)) {
      showFailure(r);
      return;
    }
    clear(box);
    if (status === 'open') {
      state.openTickets = r.body.tickets.length;
      $('nav-ticket-count').textContent = state.openTickets ? '(' + state.openTickets + ')' : '';
    }
    if (!r.body.tickets.length) {
      box.appendChild(make('p', 'muted', t('noTickets')));
      if (focusNext) $('tickets-title').focus();
      return;
    }
    const ul = make('ul', 'items');
    r.body.tickets.slice(0, 1000).forEach(function (tk) {
      if (!tk || typeof tk.ref !== 'string') return;
      const li = make('li', 'item');
      const team = tk.team ? teamLabel(tk.team, tk.team_name) : '';
      li.appendChild(make('h2', 'item-title', team ? t('ticketHead', { ref: str(tk.ref, 32), team: team }) : str(tk.ref, 32)));
      const dl = make('dl', 'dl');
      dlRow(dl, t('tCreated'), stamp(tk.created_at));
      dlRow(dl, t('tName'), str(tk.name, 200));
      dlRow(dl, t('tContact'), str(tk.contact, 200));
      dlRow(dl, t('tLang'), labelOf('lang_', tk.lang));
      dlRow(dl, t('tQuestion'), str(tk.question, 4000));
      if (tk.status === 'done') {
        dlRow(dl, t('tDone'), stamp(tk.done_at));
        dlRow(dl, t('tDoneBy'), agentNameOf(tk.done_by_name || tk.done_by));
      }
      li.appendChild(dl);
      if (tk.status !== 'done') {
        const b = button('secondary', t('markDone'), t('markDoneHidden', { ref: str(tk.ref, 32) }));
        b.setAttribute('data-focus-key', 'ticket:' + str(tk.ref, 32));
        b.addEventListener('click', function () { ticketDone(tk.ref); });
        li.appendChild(b);
      }
      ul.appendChild(li);
    });
    box.appendChild(ul);
    if (focusNext) {
      const next = box.querySelector('button');
      if (next) next.focus();
      else $('tickets-title').focus();
    }
  }

  async function ticketDone(ref) {
    const r = await api('POST', '/tickets/' + encodeURIComponent(ref) + '/done', {});
    if (r.status >= 200 && r.status < 300) flash(t('ticketDone', { ref: ref }));
    else if (r.status === 409) flash(t('ticketAlreadyDone', { ref: ref }), true);
    else showFailure(r);
    loadTickets(true);
  }

  /* An agent id as a name where the console knows it (its own, or the accounts list). */
  function agentNameOf(id) {
    if (state.me && id === state.me.id) return str(state.me.name, 128);
    const a = (state.accounts || []).find(function (x) { return x && x.id === id; });
    return a ? str(a.name || a.username, 128) : str(id, 64);
  }

  /* ---- audit log ---- */

  function table(caption, heads) {
    const tbl = make('table', 'table');
    tbl.appendChild(make('caption', 'visually-hidden', caption));
    const tr = make('tr');
    heads.forEach(function (h) {
      const th = make('th', '', h);
      th.scope = 'col';
      tr.appendChild(th);
    });
    tbl.appendChild(make('thead')).appendChild(tr);
    tbl.appendChild(make('tbody'));
    return tbl;
  }

  function cells(tr, values) {
    values.forEach(function (v) {
      const td = make('td');
      if (v instanceof Node) td.appendChild(v);
      else td.textContent = v === undefined || v === null || v === '' ? '–' : String(v);
      tr.appendChild(td);
    });
    return tr;
  }

  async function loadAudit(fresh) {
    if (fresh) state.auditBefore = 0;
    const q = '?limit=50' + (state.auditBefore ? '&before=' + encodeURIComponent(String(state.auditBefore)) : '');
    const r = await api('GET', '/audit' + q);
    if (r.status !== 200 || !r.body || !Array.isArray(r.body.entries)) {
      showFailure(r);
      return;
    }
    const box = $('audit');
    let tbl = box.querySelector('table');
    if (fresh || !tbl) {
      clear(box);
      tbl = table(t('auditCaption'), [t('aWhen'), t('aWho'), t('aAction'), t('aConv'), t('aTeam'), t('aDetail')]);
      box.appendChild(tbl);
    }
    const body = tbl.querySelector('tbody');
    r.body.entries.forEach(function (e) {
      if (!e) return;
      const conv = str(e.conv_id, 64);
      let convCell = conv;
      if (/^[0-9a-f]{1,64}$/.test(conv)) {
        convCell = make('a', 'mono', conv.slice(0, 8));
        convCell.href = '#conv/' + conv;
      }
      const who = e.actor_name ? str(e.actor_name, 128) : labelOf('actor_', e.actor);
      body.appendChild(cells(make('tr'), [stamp(e.at), who, labelOf('action_', e.action),
        convCell, e.team ? teamName(e.team) : '', str(e.detail, 256)]));
      if (typeof e.id === 'number' && (!state.auditBefore || e.id < state.auditBefore)) state.auditBefore = e.id;
    });
    if (!body.children.length) {
      clear(box);
      box.appendChild(make('p', 'muted', t('auditEmpty')));
    }
    $('audit-more').hidden = r.body.entries.length < 50;
  }

  /* ---- accounts (admin) ---- */

  async function loadAccounts() {
    const r = await api('GET', '/accounts');
    if (r.status !== 200 || !r.body || !Array.isArray(r.body.accounts)) {
      showFailure(r);
      return;
    }
    state.accounts = r.body.accounts;
    const box = $('accounts');
    const focusKey = document.activeElement && document.activeElement.getAttribute
      ? document.activeElement.getAttribute('data-focus-key') : null;
    clear(box);
    const tbl = table(t('accountsCaption'), [t('username'), t('accName'), t('accRole'), t('accTeams'),
      t('accOnline'), t('accStatus'), t('accAction')]);
    const body = tbl.querySelector('tbody');
    state.accounts.forEach(function (a) {
      if (!a || typeof a.id !== 'string') return;
      const teams = Array.isArray(a.teams) ? a.teams.map(teamName).join(', ') : '';
      const b = button('secondary', a.disabled ? t('accEnable') : t('accDisable'), str(a.username, 64));
      b.setAttribute('data-focus-key', 'acc:' + a.id.replace(/[^a-z0-9:-]/gi, ''));
      b.addEventListener('click', function () { setDisabled(a, !a.disabled); });
      body.appendChild(cells(make('tr'), [str(a.username, 64), str(a.name, 128), labelOf('role_', a.role), teams,
        a.online ? t('yes') : t('no'), a.disabled ? t('accDisabled') : t('accActive'), b]));
    });
    box.appendChild(tbl);
    const teamBox = $('acc-teams');
    if (!teamBox.children.length || teamBox.getAttribute('data-lang') !== state.lang) {
      clear(teamBox);
      teamBox.setAttribute('data-lang', state.lang);
      state.teams.forEach(function (team) {
        const id = 'acc-team-' + team.id.replace(/[^a-z0-9-]/g, '');
        const wrap = make('div', 'check');
        const input = make('input');
        input.type = 'checkbox';
        input.id = id;
        input.value = team.id;
        const label = make('label', '', teamName(team.id));
        label.htmlFor = id;
        wrap.append(input, label);
        teamBox.appendChild(wrap);
      });
    }
    if (focusKey) {
      const again = box.querySelector('[data-focus-key="' + focusKey + '"]');
      if (again) again.focus();
    }
  }

  async function setDisabled(a, disabled) {
    const r = await api('POST', '/accounts/' + encodeURIComponent(a.id), { disabled: disabled });
    if (r.status >= 200 && r.status < 300) flash(t('accountUpdated', { name: str(a.name || a.username, 128) }));
    else showFailure(r);
    loadAccounts();
  }

  async function addAccount(event) {
    event.preventDefault();
    const err = $('account-error');
    const body = {
      username: $('acc-username').value.trim(),
      name: $('acc-name').value.trim(),
      role: $('acc-role').value,
      teams: Array.prototype.map.call(document.querySelectorAll('#acc-teams input:checked'), function (i) { return i.value; }),
      password: $('acc-password').value
    };
    const r = await api('POST', '/accounts', body);
    if (r.status === 201 || r.status === 200) {
      err.hidden = true;
      $('account-form').reset();
      flash(t('accountAdded', { name: body.name || body.username }));
      loadAccounts();
      $('acc-username').focus();
      return;
    }
    err.textContent = r.status === 0 ? t('errNetwork') : (errorMessage(r) || t('errServer'));
    err.hidden = false;
    $('acc-username').focus();
  }

  /* ---- start ---- */

  async function init() {
    applyLanguage();
    $('lang-button').addEventListener('click', switchLanguage);
    $('login-form').addEventListener('submit', login);
    $('logout').addEventListener('click', logout);
    $('claim-next').addEventListener('click', function () { claim(null); });
    document.querySelectorAll('.nav-button').forEach(function (b) {
      b.addEventListener('click', function () { go('#' + b.getAttribute('data-view')); });
    });
    $('ticket-status').addEventListener('change', function () { loadTickets(false); });
    $('audit-more').addEventListener('click', function () { loadAudit(false); });
    $('account-form').addEventListener('submit', addAccount);
    bindConvActions();
    window.addEventListener('hashchange', route);
    setInterval(tickWaited, 15000);
    /* A reload with a live session cookie: /me gives the agent and the CSRF token again. */
    const r = await api('GET', '/me');
    if (r.status === 200 && r.body && r.body.agent) await startSession(null, r.body);
    else showLogin();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
}());
