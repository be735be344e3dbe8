/**
 * The data layer: owns every hub call (REST and the realtime socket through the
 * SDK's HubClient with the browser WebSocket), the state the screens show, the
 * patient context and the user's preferences. Components read its fields and
 * re-render on its `change` event; they never call the hub themselves.
 */
import {
  HubClient,
  HubError,
  type AckResponse,
  type ConnectionStatus,
  type ConversationView,
  type MessageView,
  type PageOf,
  type Priority,
  type MessageKind,
  type ReceiptEvent,
  type UserView,
  type CoverageReport,
  type DutyRoleView,
  type OnCallView,
  type PresenceView,
  type CalendarLinkStatus,
  type CalendarTokenView,
  type CreatePatternRequest,
  type PatternView,
  type ShiftView,
  type SwapView,
  type TeamView,
  type UnitView,
  type MetricsView,
  type MyNotificationsView,
  type NotifyPreferencesInput,
} from '@konsilium/shared';
import type { DockMode } from '../../common/bridge.js';
import type { PatientContextUpdate } from '../../common/patient-context.js';
import { PushGate, type PushDecision } from '../../common/push-gate.js';
import { isLocale, msg, setLocale, type Locale } from '../i18n/translate.js';
import {
  MUTE_MS,
  isUiAlert,
  newerAlert,
  overlayAlerts,
  overlayReport,
  soundDue,
  type SoundState,
  type UiAlert,
} from './alert-logic.js';
import { calendarPath, calendarUrl, can, type CalendarSubject, type MePermissions, type SwapAction } from './duty-logic.js';
import { applyReceipt, byActivity, buildInbox, type InboxItem, type UiMessage } from './logic.js';
import { originAllowed, patientFromFrame, patientFromLocation, type PatientInput } from './patient-source.js';

export type Theme = 'light' | 'dark' | 'contrast';
export type NotifyLevel = 'all' | 'urgent' | 'none';

export interface Prefs {
  locale: Locale;
  theme: Theme;
  notify: NotifyLevel;
  sound: boolean;
}

export interface QuickReply {
  id: string;
  text: string;
}

const PAGE = 40;
const PREFS_KEY = 'konsilium.prefs';
const TOKEN_KEY = 'konsilium.token';

function readPrefs(): Prefs {
  const base: Prefs = { locale: 'ru', theme: 'light', notify: 'urgent', sound: true };
  try {
    const raw = JSON.parse(localStorage.getItem(PREFS_KEY) ?? '{}') as Record<string, unknown>;
    if (isLocale(raw.locale)) base.locale = raw.locale;
    if (raw.theme === 'light' || raw.theme === 'dark' || raw.theme === 'contrast')
      base.theme = raw.theme;
    if (raw.notify === 'all' || raw.notify === 'urgent' || raw.notify === 'none')
      base.notify = raw.notify;
    if (typeof raw.sound === 'boolean') base.sound = raw.sound;
  } catch {
    /* unreadable preferences: defaults */
  }
  return base;
}

export class Store extends EventTarget {
  readonly hub: HubClient;
  /** The signed-in user (`/api/v1/me`: the profile, roles and permissions). */
  me: (UserView & MePermissions) | null = null;
  status: ConnectionStatus = 'closed';
  sessionEnded = false;
  conversations: ConversationView[] = [];
  readonly messages = new Map<string, UiMessage[]>();
  /** History cursor per conversation: the `before` of the next older page, or null at the start. */
  readonly older = new Map<string, number | null>();
  /** The user's read watermark per conversation. */
  readonly readSeq = new Map<string, number>();
  readonly users = new Map<string, UserView>();
  quickReplies: QuickReply[] = [];
  patient: PatientContextUpdate = { state: 'none', context: null };
  prefs: Prefs = readPrefs();
  dockMode: DockMode | null = null;
  lockedSettings: string[] = [];
  /** Origins (besides our own) whose postMessage may set the patient. */
  embedOrigins: string[] = [];
  /** The conversation on screen (receipts are sent for it while the page is visible). */
  openConversation: string | null = null;
  /** Duty roles (active), units (flattened tree) and known presence by user id. */
  roles: DutyRoleView[] = [];
  teams: TeamView[] = [];
  units: UnitView[] = [];
  readonly presence = new Map<string, PresenceView>();
  /** Bumped when the hub says a roster changed (screens that show on-call answers ask again). */
  rosterVersion = 0;
  /** The notification policy as it applies to me (`GET /api/v1/me/notifications`), once loaded. */
  notifications: MyNotificationsView | null = null;
  /** Notify for new messages, or (hub with a notification policy) only for `notify.push`. */
  readonly gate = new PushGate<UiMessage>();
  /** Alerts seen this session by id (open ones from the hub at connect, then `alert.updated`). */
  readonly alerts = new Map<string, UiAlert>();
  /** The repeating alarm's state (see `soundDue`). */
  sound: SoundState = { lastAt: null, mutedUntil: 0 };
  /** Alert ids already sounded once (a new one sounds at once, even mid-repeat). */
  private readonly heard = new Set<string>();
  private alertTicker: ReturnType<typeof setInterval> | null = null;
  private readonly pendingUsers = new Set<string>();

  constructor(baseUrl: string) {
    super();
    this.hub = new HubClient({ baseUrl, WebSocket: globalThis.WebSocket });
    setLocale(this.prefs.locale);
    this.hub.on('connection', (s) => {
      this.status = s;
      this.changed();
    });
    this.hub.on('session-ended', () => void this.endSession(true));
    this.hub.on('message.created', (m) => this.onMessage(m as UiMessage, true));
    this.hub.on('message.updated', (m) => this.onMessage(m as UiMessage, false));
    this.hub.on('message.receipt', (r) => this.onReceipt(r));
    this.hub.on('conversation.created', (c) => this.upsertConversation(c));
    this.hub.on('conversation.updated', (c) => this.upsertConversation(c));
    this.hub.on('presence.changed', (p) => this.onPresence(p));
    this.hub.on('alert.updated' as 'presence.changed', (a: unknown) => this.onAlert(a));
    this.hub.on('notify.push' as 'presence.changed', (p: unknown) => {
      const d = this.gate.onPush(p);
      if (d) this.notify(d);
    });
    this.hub.on('connection', (st) => {
      // After a reconnect the open alerts are fetched again (events may have been missed).
      if (st === 'open' && this.me) this.loadAlerts().catch(() => undefined);
    });
    for (const event of [
      'roster.shifts_published',
      'roster.shift_changed',
      'roster.shift_cancelled',
      'roster.taken_over',
      'roster.swap_applied',
      'roster.swap_requested',
      'roster.swap_updated',
    ])
      this.hub.on(event as 'roster.shift_changed', () => {
        this.rosterVersion++;
        this.changed();
      });
  }

  /** Tells the components to re-render. */
  changed(): void {
    this.reportOverlay();
    this.dispatchEvent(new Event('change'));
  }

  /** What the shell was last told the overlay sounds for (message ids, joined). */
  private overlayReported = '';

  /**
   * Tells the Electron shell which alerts the overlay shows while its alarm is
   * on, so their OS notifications stay silent (one sound at a time); only on change.
   */
  private reportOverlay(): void {
    const bridge = globalThis.konsilium;
    if (!bridge?.setOverlayAlerts) return;
    const { messageIds, armed } = overlayReport(this.myAlerts(), !!this.me, this.prefs.sound);
    const key = `${armed}:${messageIds.join(',')}`;
    if (key === this.overlayReported) return;
    this.overlayReported = key;
    bridge.setOverlayAlerts(messageIds, armed).catch(() => undefined);
  }

  // -------------------------------------------------------------------------
  // Session

  /** Restores a session kept by the desktop shell (safeStorage) or this browser tab. */
  async restore(): Promise<boolean> {
    let token: string | null = null;
    try {
      token = globalThis.konsilium
        ? await globalThis.konsilium.loadSessionToken()
        : sessionStorage.getItem(TOKEN_KEY);
    } catch {
      token = null;
    }
    if (!token) return false;
    this.hub.useToken(token);
    try {
      this.me = await this.hub.request<UserView>('GET', '/api/v1/me');
    } catch {
      this.hub.useToken(null);
      await this.forgetToken();
      return false;
    }
    await this.start();
    return true;
  }

  async signIn(login: string, password: string): Promise<void> {
    const res = await this.hub.login(login, password, {
      name: globalThis.konsilium ? 'Konsilium desktop' : 'Konsilium web',
      platform: globalThis.konsilium ? 'desktop' : 'web',
    });
    this.me = await this.hub.request<UserView>('GET', '/api/v1/me');
    this.sessionEnded = false;
    if (globalThis.konsilium) await globalThis.konsilium.saveSessionToken(res.token);
    else sessionStorage.setItem(TOKEN_KEY, res.token);
    await this.start();
  }

  async signOut(): Promise<void> {
    try {
      await this.hub.logout();
    } catch {
      /* the session may already be gone */
    }
    await this.endSession(false);
  }

  private async forgetToken(): Promise<void> {
    if (globalThis.konsilium) await globalThis.konsilium.clearSession();
    else sessionStorage.removeItem(TOKEN_KEY);
  }

  private async endSession(byHub: boolean): Promise<void> {
    this.hub.close();
    this.hub.useToken(null);
    this.me = null;
    this.sessionEnded = byHub;
    this.conversations = [];
    this.messages.clear();
    this.older.clear();
    this.readSeq.clear();
    this.openConversation = null;
    this.roles = [];
    this.presence.clear();
    this.alerts.clear();
    this.heard.clear();
    this.gate.reset();
    this.notifications = null;
    this.stopAlertTicker();
    await this.forgetToken();
    this.changed();
  }

  private async start(): Promise<void> {
    if (this.me) this.users.set(this.me.id, this.me);
    this.changed();
    this.hub.connect().catch(() => undefined);
    await Promise.all([
      this.loadConversations(),
      this.loadQuickReplies(),
      this.loadRoles().catch(() => undefined),
      this.loadAlerts().catch(() => undefined),
      this.loadNotifications().then(
        () => (this.gate.mode = 'push'),
        () => (this.gate.mode = 'messages'),
      ),
      this.me ? this.loadPresence([this.me.id]).catch(() => undefined) : undefined,
    ]);
  }

  // -------------------------------------------------------------------------
  // Alerts (escalation until acknowledged)

  /** The open alerts the caller may see (`GET /api/v1/alerts?state=open`). */
  async loadAlerts(): Promise<void> {
    const res = await this.hub.request<{ items: unknown[] }>('GET', '/api/v1/alerts?state=open');
    const open = new Set<string>();
    for (const a of res.items) {
      if (!isUiAlert(a)) continue;
      open.add(a.id);
      this.alerts.set(a.id, newerAlert(this.alerts.get(a.id), a));
    }
    // An alert we thought open but the hub no longer lists was settled while we were away.
    for (const [id, a] of this.alerts)
      if (a.state === 'open' && !open.has(id)) this.refreshAlert(id).catch(() => undefined);
    this.alertsChanged();
  }

  private async refreshAlert(id: string): Promise<void> {
    const a = await this.hub.request<unknown>('GET', `/api/v1/alerts/${id}`);
    if (isUiAlert(a)) {
      this.alerts.set(a.id, a);
      this.alertsChanged();
    }
  }

  private onAlert(data: unknown): void {
    if (!isUiAlert(data)) return;
    this.alerts.set(data.id, newerAlert(this.alerts.get(data.id), data));
    this.alertsChanged();
  }

  /** The alerts asking the signed-in user now, most pressing first (the overlay). */
  myAlerts(): UiAlert[] {
    return this.me ? overlayAlerts(this.alerts.values(), this.me.id) : [];
  }

  /** The alert started for a message (for its timeline in the conversation). */
  alertForMessage(messageId: string): UiAlert | undefined {
    for (const a of this.alerts.values()) if (a.messageId === messageId) return a;
    return undefined;
  }

  /** Loads the alerts of a conversation's messages the caller may see (their timelines). */
  async loadAlertsFor(conversationId: string): Promise<void> {
    const res = await this.hub.request<{ items: unknown[] }>(
      'GET',
      `/api/v1/alerts?state=all&conversationId=${encodeURIComponent(conversationId)}`,
    );
    for (const a of res.items)
      if (isUiAlert(a) && a.conversationId === conversationId)
        this.alerts.set(a.id, newerAlert(this.alerts.get(a.id), a));
    this.changed();
  }

  /** «Принял / Иду / Перезвоню / Не моё» on an alert; read-back for critical results. */
  async ackAlert(
    id: string,
    body: {
      response: AckResponse;
      minutes?: number;
      note?: string;
      readBack?: { value: string; action: string };
    },
  ): Promise<UiAlert> {
    const a = await this.hub.request<unknown>('POST', `/api/v1/alerts/${id}/ack`, body);
    if (!isUiAlert(a)) throw new HubError('client.bad_response', 'Unexpected alert');
    this.alerts.set(a.id, a);
    this.alertsChanged();
    return a;
  }

  /** Silences the repeating alarm for a short time (the alert stays on screen). */
  muteAlerts(nowMs = Date.now()): void {
    this.sound = { ...this.sound, mutedUntil: nowMs + MUTE_MS };
    this.changed();
  }

  /** Called every second while alerts ask the user: sounds when due, re-renders the countdown. */
  tickAlerts(nowMs = Date.now()): void {
    const mine = this.myAlerts();
    if (mine.length === 0) {
      this.stopAlertTicker();
      return;
    }
    const fresh = mine.some((a) => !this.heard.has(a.id));
    if (this.prefs.sound && soundDue(this.sound, nowMs, true, fresh)) {
      for (const a of mine) this.heard.add(a.id);
      this.sound = { ...this.sound, lastAt: nowMs };
      beep(mine.some((a) => a.priority === 'critical') ? 3 : 1);
    }
    this.changed();
  }

  private alertsChanged(): void {
    if (this.myAlerts().length > 0) {
      if (!this.alertTicker) this.alertTicker = setInterval(() => this.tickAlerts(), 1000);
      this.tickAlerts();
    } else this.stopAlertTicker();
    this.changed();
  }

  private stopAlertTicker(): void {
    if (this.alertTicker) clearInterval(this.alertTicker);
    this.alertTicker = null;
  }

  // -------------------------------------------------------------------------
  // Loading

  async loadConversations(): Promise<void> {
    const res = await this.hub.request<{ items: ConversationView[] }>(
      'GET',
      '/api/v1/conversations',
    );
    this.conversations = res.items.sort(byActivity);
    const queue = [...this.conversations];
    const worker = async () => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        if (!this.older.has(c.id)) await this.loadHistory(c.id).catch(() => undefined);
      }
    };
    this.changed();
    await Promise.all([worker(), worker(), worker(), worker()]);
    for (const c of this.conversations) this.ensureUsers(c.members.map((m) => m.userId));
  }

  /** Loads the newest page (first call) or the next older page of a conversation. */
  async loadHistory(conversationId: string): Promise<number> {
    const cursor = this.older.get(conversationId);
    if (cursor === null) return 0;
    const q = cursor === undefined ? `?limit=${PAGE}` : `?limit=${PAGE}&before=${cursor}`;
    const page = await this.hub.request<{ items: UiMessage[]; next?: number }>(
      'GET',
      `/api/v1/conversations/${conversationId}/messages${q}`,
    );
    this.older.set(conversationId, page.next ?? null);
    const list = this.messages.get(conversationId) ?? [];
    const known = new Set(list.map((m) => m.id));
    const merged = [...page.items.filter((m) => !known.has(m.id)), ...list].sort(
      (a, b) => a.seq - b.seq,
    );
    this.messages.set(conversationId, merged);
    if (cursor === undefined && this.me) {
      const me = this.me.id;
      let seq = this.readSeq.get(conversationId) ?? 0;
      for (const m of page.items) {
        if (m.authorId === me) seq = Math.max(seq, m.seq);
        else if (m.receipts?.members.some((x) => x.userId === me && x.readAt !== null))
          seq = Math.max(seq, m.seq);
      }
      const conv = this.conversations.find((c) => c.id === conversationId);
      if (conv && conv.unread === 0) seq = Math.max(seq, conv.lastSeq);
      this.readSeq.set(conversationId, seq);
    }
    this.ensureUsers(page.items.flatMap((m) => [m.authorId, ...(m.system?.userIds ?? [])]));
    this.changed();
    return page.items.length;
  }

  async loadQuickReplies(): Promise<void> {
    const res = await this.hub.request<{ items: QuickReply[] }>('GET', '/api/v1/quick-replies');
    this.quickReplies = res.items;
    this.changed();
  }

  async saveQuickReply(text: string): Promise<void> {
    await this.hub.request('POST', '/api/v1/quick-replies', { text });
    await this.loadQuickReplies();
  }

  /** Fetches the profiles of people not seen yet (names on messages and lists). */
  ensureUsers(ids: readonly string[]): void {
    for (const id of new Set(ids)) {
      if (this.users.has(id) || this.pendingUsers.has(id)) continue;
      this.pendingUsers.add(id);
      this.hub
        .request<UserView>('GET', `/api/v1/directory/users/${id}`)
        .then((u) => {
          this.users.set(id, u);
          this.changed();
        })
        .catch(() => undefined)
        .finally(() => this.pendingUsers.delete(id));
    }
  }

  async searchStaff(q: string): Promise<PageOf<UserView>> {
    const res = await this.hub.request<PageOf<UserView>>(
      'GET',
      `/api/v1/directory/users?q=${encodeURIComponent(q)}&limit=30`,
    );
    // The hub answers each person's presence and duties (DIR-5) and pushes their changes.
    for (const u of res.items) {
      this.users.set(u.id, u);
      if (u.presence) this.presence.set(u.id, u.presence);
    }
    this.changed();
    return res;
  }

  // -------------------------------------------------------------------------
  // Derived views

  userName(id: string): string {
    if (this.me && id === this.me.id) return this.me.shortName;
    const u = this.users.get(id);
    return u ? u.shortName : '…';
  }

  conversation(id: string): ConversationView | undefined {
    return this.conversations.find((c) => c.id === id);
  }

  /** A conversation's name: its title, or the other person of a direct one. */
  title(c: ConversationView): string {
    if (c.title) return c.title;
    const roleId = (c as { roleId?: string | null }).roleId;
    if (roleId) return this.role(roleId)?.name ?? '…';
    const others = c.members.filter((m) => m.userId !== this.me?.id);
    if (others.length === 0) return this.me?.shortName ?? '';
    return others.map((m) => this.userName(m.userId)).join(', ');
  }

  unread(conversationId: string): number {
    const me = this.me?.id;
    const w = this.readSeq.get(conversationId) ?? 0;
    const list = this.messages.get(conversationId);
    if (!list) return this.conversation(conversationId)?.unread ?? 0;
    return list.filter((m) => m.authorId !== me && m.seq > w && !m.recalledAt && !m.system)
      .length;
  }

  inbox(): InboxItem[] {
    if (!this.me) return [];
    const open = new Map<string, UiAlert['kind']>();
    for (const a of this.alerts.values()) if (a.state === 'open') open.set(a.messageId, a.kind);
    return buildInbox(this.me.id, this.conversations, this.messages, this.readSeq, open);
  }

  // -------------------------------------------------------------------------
  // Writes

  async openDirect(userId: string): Promise<ConversationView> {
    const c = await this.hub.request<ConversationView>('POST', '/api/v1/conversations', {
      kind: 'direct',
      memberIds: [userId],
    });
    this.upsertConversation(c);
    if (!this.older.has(c.id)) await this.loadHistory(c.id);
    return c;
  }

  /** CTX-2: a group conversation bound to the current patient. */
  async createPatientConversation(memberIds: string[]): Promise<ConversationView> {
    const ctx = this.patient.context;
    if (!ctx) throw new HubError('client.bad_response', 'No patient');
    const c = await this.hub.request<ConversationView>('POST', '/api/v1/conversations', {
      kind: 'group',
      memberIds,
      title: (ctx.display ?? ctx.value).slice(0, 200),
      patient: {
        system: ctx.system.slice(0, 200),
        value: ctx.value.slice(0, 200),
        ...(ctx.display ? { label: ctx.display.slice(0, 200) } : {}),
      },
    });
    this.upsertConversation(c);
    if (!this.older.has(c.id)) await this.loadHistory(c.id);
    return c;
  }

  async send(
    conversationId: string,
    text: string,
    options: {
      priority: Priority;
      kind: MessageKind;
      replyTo?: string;
      attachmentIds?: string[];
      forward?: string;
    },
  ): Promise<MessageView> {
    const m = await this.hub.send(conversationId, {
      text,
      priority: options.priority,
      kind: options.kind,
      ...(options.replyTo ? { replyTo: options.replyTo } : {}),
      ...(options.attachmentIds?.length ? { attachmentIds: options.attachmentIds } : {}),
      ...(options.forward ? { forward: { messageId: options.forward } } : {}),
    });
    this.onMessage(m, true);
    return m;
  }

  async upload(conversationId: string, file: Blob, name: string): Promise<{ id: string }> {
    const res = await fetch(
      `${this.baseUrl()}/api/v1/conversations/${conversationId}/attachments?name=${encodeURIComponent(name)}`,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${this.hub.token ?? ''}`,
          'content-type': 'application/octet-stream',
        },
        body: file,
      },
    );
    const body = (await res.json()) as { id: string; error?: unknown };
    if (res.status >= 400) throw HubError.from(body.error, res.status);
    return body;
  }

  /** An attachment's bytes as an object URL (the download needs the bearer token). */
  async attachmentUrl(id: string): Promise<string> {
    const res = await fetch(`${this.baseUrl()}/api/v1/attachments/${id}`, {
      headers: { authorization: `Bearer ${this.hub.token ?? ''}` },
    });
    if (res.status !== 200) throw new HubError('files.not_found', 'Attachment unavailable');
    return URL.createObjectURL(await res.blob());
  }

  async ack(messageId: string, response: AckResponse, minutes?: number): Promise<void> {
    const data = { messageId, response, ...(response === 'call_back' ? { minutes } : {}) };
    const m =
      this.hub.status === 'open'
        ? await this.hub.call<MessageView>('message.ack', data)
        : await this.hub.request<MessageView>('POST', `/api/v1/messages/${messageId}/ack`, {
            response,
            ...(response === 'call_back' ? { minutes } : {}),
          });
    this.onMessage(m, false);
  }

  async recall(messageId: string): Promise<void> {
    const m = await this.hub.request<MessageView>('DELETE', `/api/v1/messages/${messageId}`);
    this.onMessage(m, false);
  }

  /** Marks everything up to the newest message of others as read (coalesced to one call). */
  markRead(conversationId: string): void {
    const me = this.me?.id;
    const list = this.messages.get(conversationId) ?? [];
    const newest = [...list].reverse().find((m) => m.authorId !== me);
    if (!newest || newest.seq <= (this.readSeq.get(conversationId) ?? 0)) return;
    this.readSeq.set(conversationId, newest.seq);
    this.changed();
    const op =
      this.hub.status === 'open'
        ? this.hub.call('message.read', { messageId: newest.id })
        : this.hub.request('POST', `/api/v1/messages/${newest.id}/read`);
    op.catch(() => {
      // Not recorded: try again on the next look.
      this.readSeq.set(conversationId, 0);
    });
  }

  // -------------------------------------------------------------------------
  // Rosters, on call, role addressing and presence

  /** Whether the signed-in user holds a permission (as `/api/v1/me` listed them). */
  can(permission: string): boolean {
    return can(this.me, permission);
  }

  /** Whether the signed-in person may see the communication metrics (`metrics.view`, ADM-1). */
  canViewMetrics(): boolean {
    return this.can('metrics.view');
  }

  /** ADM-1: `GET /api/v1/admin/metrics` over a window (ISO times). */
  metrics(from: string, to: string, unitId?: string): Promise<MetricsView> {
    const q = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}${unitId ? `&unitId=${unitId}` : ''}`;
    return this.hub.request<MetricsView>('GET', `/api/v1/admin/metrics?${q}`);
  }

  /** ESC-3: the hospital's notification rules for me and my preferences within them. */
  async loadNotifications(): Promise<MyNotificationsView> {
    this.notifications = await this.hub.request<MyNotificationsView>(
      'GET',
      '/api/v1/me/notifications',
    );
    this.changed();
    return this.notifications;
  }

  async saveNotifications(body: NotifyPreferencesInput): Promise<MyNotificationsView> {
    this.notifications = await this.hub.request<MyNotificationsView>(
      'PUT',
      '/api/v1/me/notifications',
      body,
    );
    this.changed();
    return this.notifications;
  }

  /** Whether the signed-in person plans rosters (`rosters.manage`). */
  canManageRosters(): boolean {
    return this.can('rosters.manage');
  }

  /** Published and draft shifts of one person in a period (default: mine, the next 31 days). */
  async shiftsOf(userId: string, from = new Date(), days = 31): Promise<ShiftView[]> {
    const to = new Date(from.getTime() + days * 86400_000);
    const res = await this.hub.request<{ items: ShiftView[] }>(
      'GET',
      `/api/v1/rosters/shifts?userId=${userId}&from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}`,
    );
    return res.items.filter((s) => s.state === 'published');
  }

  shift(id: string): Promise<ShiftView> {
    return this.hub.request<ShiftView>('GET', `/api/v1/rosters/shifts/${id}`);
  }

  /** Swap requests: coordinators see every open one, others the ones they are part of. */
  async swaps(): Promise<SwapView[]> {
    const res = await this.hub.request<{ items: SwapView[] }>('GET', '/api/v1/rosters/swaps');
    this.ensureUsers(res.items.flatMap((s) => [s.fromUserId, s.toUserId, s.requestedBy]));
    return res.items;
  }

  /** Asks for a swap, give-away or substitution (a coordinator's request applies at once). */
  createSwap(body: {
    kind: 'swap' | 'giveaway' | 'substitution';
    shiftId: string;
    toUserId: string;
    counterShiftId?: string;
    note?: string;
  }): Promise<SwapView> {
    return this.hub.request<SwapView>('POST', '/api/v1/rosters/swaps', body);
  }

  swapStep(id: string, action: SwapAction): Promise<SwapView> {
    return this.hub.request<SwapView>('POST', `/api/v1/rosters/swaps/${id}/${action}`);
  }

  /** Emergency take-over of a role by `userId` from now (until the current shift's end). */
  takeover(roleId: string, userId: string): Promise<ShiftView> {
    return this.hub.request<ShiftView>('POST', '/api/v1/rosters/takeovers', { roleId, userId });
  }

  async createPattern(body: CreatePatternRequest): Promise<PatternView> {
    return this.hub.request<PatternView>('POST', '/api/v1/rosters/patterns', body);
  }

  /** Expands a pattern into shifts for local dates `from`..`to` (drafts unless `publish`). */
  expandPattern(id: string, from: string, to: string): Promise<{ created: number }> {
    return this.hub.request<{ created: number }>(
      'POST',
      `/api/v1/rosters/patterns/${id}/expand`,
      { from, to },
    );
  }

  /** Issues a new calendar link (revoking the previous one); answers the absolute URL. */
  async issueCalendar(subject: CalendarSubject): Promise<string> {
    const res = await this.hub.request<CalendarTokenView>('POST', calendarPath(subject));
    return calendarUrl(this.baseUrl(), res.path);
  }

  async revokeCalendar(subject: CalendarSubject): Promise<void> {
    await this.hub.request('DELETE', calendarPath(subject));
  }

  /** Whether a colleague has a live calendar link (coordinators). */
  calendarStatus(userId: string): Promise<CalendarLinkStatus> {
    return this.hub.request<CalendarLinkStatus>('GET', calendarPath({ userId }));
  }

  /** A colleague's profile with presence and current duties. */
  profileOf(userId: string): Promise<UserView> {
    return this.hub.request<UserView>('GET', `/api/v1/directory/users/${userId}`);
  }

  async loadUnits(): Promise<void> {
    const res = await this.hub.request<{ items: UnitView[] }>('GET', '/api/v1/directory/units');
    const flat: UnitView[] = [];
    const walk = (list: UnitView[]) => {
      for (const u of list) {
        flat.push(u);
        walk(u.children);
      }
    };
    walk(res.items);
    this.units = flat;
    this.changed();
  }

  async loadRoles(): Promise<void> {
    const res = await this.hub.request<{ items: DutyRoleView[] }>('GET', '/api/v1/rosters/roles');
    this.roles = res.items.filter((r) => r.active);
    this.changed();
  }

  async loadTeams(): Promise<void> {
    const res = await this.hub.request<{ items: TeamView[] }>('GET', '/api/v1/rosters/teams');
    this.teams = res.items;
    this.changed();
  }

  /** RTE-2: a group conversation with a team's members (a dynamic team: those on shift now). */
  async openTeam(team: TeamView): Promise<ConversationView> {
    const c = await this.hub.request<ConversationView>('POST', '/api/v1/conversations', {
      kind: 'group',
      teamId: team.id,
      title: team.name,
    });
    this.upsertConversation(c);
    if (!this.older.has(c.id)) await this.loadHistory(c.id);
    return c;
  }

  role(id: string): DutyRoleView | undefined {
    return this.roles.find((r) => r.id === id);
  }

  async shifts(roleIds: readonly string[], from: string, to: string): Promise<ShiftView[]> {
    const lists = await Promise.all(
      roleIds.map((roleId) =>
        this.hub.request<{ items: ShiftView[] }>(
          'GET',
          `/api/v1/rosters/shifts?roleId=${roleId}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
        ),
      ),
    );
    const items = lists.flatMap((l) => l.items);
    this.ensureUsers(items.map((s) => s.userId));
    return items;
  }

  coverage(unitId: string, from: string, to: string): Promise<CoverageReport> {
    return this.hub.request<CoverageReport>(
      'GET',
      `/api/v1/rosters/coverage?unitId=${unitId}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&includeDrafts=true`,
    );
  }

  createShift(body: {
    roleId: string;
    userId: string;
    start: string;
    end: string;
    draft: boolean;
  }): Promise<ShiftView> {
    return this.hub.request<ShiftView>('POST', '/api/v1/rosters/shifts', body);
  }

  cancelShift(id: string): Promise<ShiftView> {
    return this.hub.request<ShiftView>('DELETE', `/api/v1/rosters/shifts/${id}`);
  }

  publish(roleId: string, from: string, to: string): Promise<{ published: number }> {
    return this.hub.request<{ published: number }>('POST', '/api/v1/rosters/publish', {
      roleId,
      from,
      to,
    });
  }

  onCall(roleId: string): Promise<OnCallView> {
    return this.hub.request<OnCallView>('GET', `/api/v1/oncall?roleId=${roleId}`);
  }

  /** RTE-1: the caller's conversation with a duty role (found or created). */
  async openRole(roleId: string): Promise<ConversationView> {
    const c = await this.hub.request<ConversationView>('POST', '/api/v1/conversations', {
      kind: 'direct',
      roleId,
    });
    this.upsertConversation(c);
    if (!this.older.has(c.id)) await this.loadHistory(c.id);
    return c;
  }

  /** The presence of these people (cached in `presence`). */
  async loadPresence(userIds: readonly string[]): Promise<void> {
    const ids = [...new Set(userIds)].slice(0, 200);
    if (ids.length === 0) return;
    const res = await this.hub.request<{ items: PresenceView[] }>(
      'GET',
      `/api/v1/presence?userIds=${ids.join(',')}`,
    );
    for (const p of res.items) this.presence.set(p.userId, p);
    this.changed();
  }

  /** Loads these people's presence and asks the hub to push their changes (`presence.changed`). */
  async watchPresence(userIds: readonly string[]): Promise<void> {
    const ids = [...new Set(userIds)].slice(0, 200);
    const res = await this.hub.request<{ items: PresenceView[] }>(
      'POST',
      '/api/v1/presence/watch',
      { userIds: ids },
    );
    for (const p of res.items) this.presence.set(p.userId, p);
    this.changed();
  }

  private onPresence(data: unknown): void {
    const p = data as Partial<PresenceView> | null;
    if (!p || typeof p.userId !== 'string' || typeof p.status !== 'string') return;
    this.presence.set(p.userId, p as PresenceView);
    this.changed();
  }

  async setPresence(body: {
    status: 'available' | 'busy' | 'dnd' | 'off_duty';
    until: string;
    delegateId?: string;
    note?: string;
  }): Promise<void> {
    const p = await this.hub.request<PresenceView>('PUT', '/api/v1/presence/me', body);
    this.presence.set(p.userId, p);
    this.changed();
  }

  async clearPresence(): Promise<void> {
    const p = await this.hub.request<PresenceView>('DELETE', '/api/v1/presence/me');
    this.presence.set(p.userId, p);
    this.changed();
  }

  // -------------------------------------------------------------------------
  // Events

  private baseUrl(): string {
    return location.origin;
  }

  private upsertConversation(c: ConversationView): void {
    const me = this.me?.id;
    const i = this.conversations.findIndex((x) => x.id === c.id);
    const isMember = c.members.some((m) => m.userId === me);
    if (!isMember) {
      if (i >= 0) this.conversations.splice(i, 1);
    } else if (i >= 0) {
      this.conversations[i] = { ...this.conversations[i], ...c };
    } else {
      this.conversations.push(c);
      if (!this.older.has(c.id)) this.loadHistory(c.id).catch(() => undefined);
    }
    this.conversations.sort(byActivity);
    this.ensureUsers(c.members.map((m) => m.userId));
    this.changed();
  }

  private onMessage(m: UiMessage, created: boolean): void {
    const list = this.messages.get(m.conversationId) ?? [];
    const i = list.findIndex((x) => x.id === m.id);
    if (i >= 0) {
      list[i] = { ...m, receipts: m.receipts ?? list[i]!.receipts };
    } else {
      const recipients = (this.conversation(m.conversationId)?.members ?? [])
        .filter((x) => x.userId !== m.authorId)
        .map((x) => ({ userId: x.userId, deliveredAt: null, readAt: null }));
      list.push({
        ...m,
        receipts: m.receipts ?? {
          total: recipients.length,
          delivered: 0,
          read: 0,
          members: recipients,
        },
      });
      list.sort((a, b) => a.seq - b.seq);
    }
    this.messages.set(m.conversationId, list);
    const c = this.conversation(m.conversationId);
    if (c && m.seq > c.lastSeq) {
      c.lastSeq = m.seq;
      this.conversations.sort(byActivity);
    }
    this.ensureUsers([m.authorId, ...(m.system?.userIds ?? [])]);
    if (created && i < 0 && m.authorId !== this.me?.id && !m.system) {
      if (this.hub.status === 'open') {
        this.hub.call('message.delivered', { messageId: m.id }).catch(() => undefined);
      }
      const d = this.gate.onMessage(m);
      if (d) this.notify(d);
    }
    if (m.authorId === this.me?.id) {
      this.readSeq.set(m.conversationId, Math.max(this.readSeq.get(m.conversationId) ?? 0, m.seq));
    }
    this.changed();
  }

  private onReceipt(r: ReceiptEvent): void {
    if (r.userId === this.me?.id) {
      this.readSeq.set(r.conversationId, Math.max(this.readSeq.get(r.conversationId) ?? 0, r.readSeq));
    } else {
      const list = this.messages.get(r.conversationId) ?? [];
      for (let i = 0; i < list.length; i++) {
        const m = list[i]!;
        const receipts = applyReceipt(m, r);
        if (receipts !== m.receipts) list[i] = { ...m, receipts };
      }
    }
    this.changed();
  }

  /**
   * A notification for a new message: by the user's own level (`messages` mode)
   * or as the hub's notification policy decided (`notify.push`).
   */
  private notify(d: PushDecision<UiMessage>): void {
    const bridge = globalThis.konsilium;
    const m = d.message;
    const id = m?.id ?? d.push?.messageId ?? '';
    const priority = m?.priority ?? d.push?.priority ?? 'normal';
    const conversationId = m?.conversationId ?? d.push?.conversationId ?? '';
    const title = m ? this.userName(m.authorId) : msg(`priority.${priority}`);
    const level = this.prefs.notify;
    const important = priority === 'urgent' || priority === 'critical';
    if (
      !d.push &&
      priority !== 'critical' &&
      (level === 'none' || (level === 'urgent' && !important))
    )
      return;
    const sound = d.push ? d.push.sound : important && this.prefs.sound;
    if (!bridge) {
      // Browser: a short tone, and a system notification when the user allowed them.
      // Neither carries the message text (it may name a patient).
      if (sound) beep(priority === 'critical' ? 3 : 1);
      if (typeof Notification !== 'undefined' && Notification.permission === 'granted') {
        try {
          new Notification(title, { tag: id, body: '' });
        } catch {
          /* some browsers allow notifications only from a service worker */
        }
      }
      return;
    }
    // The text stays out of OS notifications: the shell applies the hospital's policy.
    bridge
      .notify({
        id,
        priority,
        title,
        body: '',
        conversationId,
      })
      .catch(() => undefined);
    const total = this.conversations.reduce((n, c) => n + this.unread(c.id), 0);
    bridge.setUnreadBadge(total).catch(() => undefined);
  }

  // -------------------------------------------------------------------------
  // Patient context

  /** Starts listening to the patient context: the Electron bridge, else the URL and postMessage. */
  watchPatient(): void {
    const bridge = globalThis.konsilium;
    if (bridge) {
      bridge.onPatientContext((update) => {
        this.patient = update;
        this.changed();
      });
      return;
    }
    const fromUrl = () =>
      this.applyPatientInput(
        patientFromLocation(location.search, location.hash, new Date().toISOString()),
        'url.invalid',
      );
    fromUrl();
    window.addEventListener('hashchange', fromUrl);
    window.addEventListener('message', (event: MessageEvent) => {
      if (!originAllowed(event.origin, location.origin, this.embedOrigins)) return;
      this.applyPatientInput(
        patientFromFrame(event.data, new Date().toISOString()),
        'embed.invalid',
      );
    });
  }

  private applyPatientInput(input: PatientInput, invalidReason: string): void {
    if (input.kind === 'absent') return;
    if (input.kind === 'patient') this.patient = { state: 'active', context: input.context };
    else if (input.kind === 'clear') this.patient = { state: 'none', context: null };
    else this.patient = { state: 'lost', context: this.patient.context, reason: invalidReason };
    this.changed();
  }

  // -------------------------------------------------------------------------
  // Preferences

  setPrefs(next: Partial<Prefs>): void {
    this.prefs = { ...this.prefs, ...next };
    setLocale(this.prefs.locale);
    localStorage.setItem(PREFS_KEY, JSON.stringify(this.prefs));
    const bridge = globalThis.konsilium;
    if (bridge) {
      for (const [k, v] of Object.entries(next)) {
        bridge.setSetting(`ui.${k}`, v).catch(() => undefined);
      }
    }
    this.changed();
  }

  /** Loads the shell's settings (dock mode, locked keys) and the embedding allowlist. */
  async loadEnvironment(): Promise<void> {
    const bridge = globalThis.konsilium;
    if (bridge) {
      try {
        const s = await bridge.getSettings();
        const dock = s.values.dockMode;
        if (dock === 'right' || dock === 'left' || dock === 'follow' || dock === 'floating')
          this.dockMode = dock;
        this.lockedSettings = s.locked;
        const origins = s.values.embedOrigins;
        if (Array.isArray(origins)) this.embedOrigins = origins.filter((o) => typeof o === 'string');
      } catch {
        /* the shell answers nothing: defaults */
      }
    } else {
      try {
        const res = await fetch('./config.json', { headers: { accept: 'application/json' } });
        if (res.ok) {
          const cfg = (await res.json()) as { embedOrigins?: unknown };
          if (Array.isArray(cfg.embedOrigins))
            this.embedOrigins = cfg.embedOrigins.filter(
              (o): o is string => typeof o === 'string' && /^https?:\/\/[^/]+$/.test(o),
            );
        }
      } catch {
        /* no config: only our own origin */
      }
    }
    this.changed();
  }

  async setDockMode(mode: DockMode): Promise<void> {
    if (!globalThis.konsilium) return;
    await globalThis.konsilium.setSetting('dockMode', mode);
    this.dockMode = mode;
    this.changed();
  }
}

/** A short tone (Web Audio; no sound file): `times` beeps. */
function beep(times: number): void {
  try {
    const ctx = new AudioContext();
    for (let i = 0; i < times; i++) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.frequency.value = 880;
      gain.gain.value = 0.15;
      osc.connect(gain).connect(ctx.destination);
      osc.start(ctx.currentTime + i * 0.3);
      osc.stop(ctx.currentTime + i * 0.3 + 0.18);
    }
    setTimeout(() => void ctx.close(), times * 300 + 500);
  } catch {
    /* no audio output */
  }
}
