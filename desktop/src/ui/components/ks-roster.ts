import { html, css, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import type { CoverageReport, DutyRoleView, ShiftView, UserView } from '@konsilium/shared';
import {
  addDays,
  conflictedShifts,
  gapOn,
  localDate,
  localTime,
  presetTimes,
  shiftsOn,
  weekDates,
  monthDates,
  addMonths,
  weekStart,
  zonedInstant,
  type ShiftPreset,
} from '../data/roster-logic.js';
import { patternRequest, type PatternForm } from '../data/duty-logic.js';
import { msg } from '../i18n/translate.js';
import { KsStoreElement } from './base.js';
import { base } from './styles.js';

/**
 * The roster editor for coordinators (ROS-1, ROS-2): a week grid per unit,
 * one row per duty role; a cell adds a day, night or «сутки» shift for a
 * person found by staff search, as a draft; gaps and conflicts come from the
 * hub's coverage report; «Опубликовать» publishes the week's drafts. A
 * coordinator also substitutes someone on a shift (on their behalf, applied at
 * once), assigns an emergency take-over of a role from now, adds recurring
 * patterns (weekly or «сутки через трое», with dates skipped) as drafts for
 * the period on screen, and issues or revokes a role's calendar link.
 */
@customElement('ks-roster')
export class KsRoster extends KsStoreElement {
  static override styles = [
    base,
    css`
      :host {
        display: flex;
        flex-direction: column;
        gap: 8px;
      }
      .bar {
        display: flex;
        gap: 6px;
        align-items: center;
        flex-wrap: wrap;
      }
      .grid {
        overflow-x: auto;
      }
      table {
        border-collapse: collapse;
        width: 100%;
        min-width: 640px;
        table-layout: fixed;
        font-size: 0.85em;
      }
      th,
      td {
        border: 1px solid var(--ks-border);
        padding: 4px;
        vertical-align: top;
        background: var(--ks-surface);
      }
      th[scope='row'],
      thead th:first-child {
        text-align: left;
        width: 150px;
      }
      table.month {
        min-width: 1800px;
        font-size: 0.75em;
      }
      td.gap {
        background: var(--ks-warn-bg);
        color: var(--ks-warn-fg);
      }
      .shift {
        display: flex;
        align-items: center;
        gap: 2px;
        border-radius: 4px;
        padding: 1px 3px;
        margin-bottom: 2px;
        border: 1px solid var(--ks-border);
      }
      .shift.draft {
        border-style: dashed;
      }
      .shift.conflict {
        background: var(--ks-critical-bg);
        color: var(--ks-critical-fg);
      }
      .shift button {
        min-height: 0;
        padding: 0 4px;
        border: none;
        background: transparent;
      }
      td button.add {
        min-height: 0;
        padding: 0 6px;
        width: 100%;
        justify-content: center;
      }
      .assign {
        border: 1px solid var(--ks-border);
        border-radius: 8px;
        padding: 8px;
        background: var(--ks-surface);
        display: flex;
        flex-direction: column;
        gap: 6px;
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
      }
      .legend {
        font-size: 0.8em;
      }
      .rowtools {
        display: flex;
        flex-wrap: wrap;
        gap: 2px;
        margin-top: 2px;
      }
      .rowtools button {
        min-height: 0;
        padding: 0 4px;
        font-size: 0.85em;
      }
      input.link {
        flex: 1;
        min-width: 0;
        font-family: monospace;
        font-size: 0.8em;
      }
    `,
  ];

  @state() private unitId = '';
  @state() private monday = '';
  /** Week or month on screen (the month holding `monday`'s week start when switched). */
  @state() private span: 'week' | 'month' = 'week';
  @state() private shifts: ShiftView[] = [];
  @state() private report: CoverageReport | null = null;
  @state() private cell: { roleId: string; date: string } | null = null;
  /** What picking a person does: assign a draft in `cell`, substitute on `shift`, or take `roleId` over now. */
  @state() private mode: 'assign' | 'substitute' | 'swap' | 'takeover' = 'assign';
  @state() private target: { shift?: ShiftView; roleId?: string } = {};
  /** Two-way swap on someone's behalf: the colleague picked and their shifts to trade. */
  @state() private partner: { user: UserView; shifts: ShiftView[]; counter: string } | null = null;
  @state() private pattern: (PatternForm & { userName: string }) | null = null;
  /** The open calendar-link box: a role's (issued at once) or a colleague's (issued on request). */
  @state() private calendar: {
    roleId?: string;
    userId?: string;
    url: string;
    issuedAt?: string | null;
  } | null = null;
  @state() private preset: ShiftPreset = 'day24';
  @state() private query = '';
  @state() private found: UserView[] = [];
  @state() private status = '';
  @state() private error = '';

  override connectedCallback(): void {
    super.connectedCallback();
    void this.init();
  }

  private async init(): Promise<void> {
    try {
      await Promise.all([this.store.loadUnits(), this.store.loadRoles()]);
      const mine = new Set(this.store.me?.units.map((u) => u.id) ?? []);
      const withRoles = this.unitsWithRoles();
      this.unitId = (withRoles.find((u) => mine.has(u.id)) ?? withRoles[0])?.id ?? '';
      this.monday = weekStart(localDate(new Date(), this.zone()));
      await this.load();
    } catch (err) {
      this.error = msg('error.generic', { reason: (err as Error).message });
    }
  }

  private unitsWithRoles() {
    const ids = new Set(this.store.roles.map((r) => r.unitId));
    return this.store.units.filter((u) => ids.has(u.id));
  }

  private rolesOfUnit(): DutyRoleView[] {
    return this.store.roles
      .filter((r) => r.unitId === this.unitId)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  private zone(): string {
    return (
      this.store.units.find((u) => u.id === this.unitId)?.timeZone ??
      this.store.roles[0]?.timeZone ??
      'Europe/Moscow'
    );
  }

  private days(): string[] {
    if (!this.monday) return [];
    return this.span === 'week' ? weekDates(this.monday) : monthDates(this.monday);
  }

  private period(): { from: string; to: string } {
    const days = this.days();
    const zone = this.zone();
    return {
      from: zonedInstant(days[0]!, '00:00', zone).toISOString(),
      to: zonedInstant(addDays(days[days.length - 1]!, 1), '00:00', zone).toISOString(),
    };
  }

  private async load(): Promise<void> {
    if (!this.unitId || !this.monday) return;
    const { from, to } = this.period();
    const roles = this.rolesOfUnit().map((r) => r.id);
    const [shifts, report] = await Promise.all([
      this.store.shifts(roles, from, to),
      this.store.coverage(this.unitId, from, to),
    ]);
    this.shifts = shifts;
    this.report = report;
  }

  private async reload(): Promise<void> {
    try {
      await this.load();
      this.error = '';
    } catch (err) {
      this.error = msg('error.generic', { reason: (err as Error).message });
    }
  }

  override render() {
    const zone = this.zone();
    const days = this.days();
    const roles = this.rolesOfUnit();
    const conflicts = conflictedShifts(this.report);
    const drafts = this.shifts.filter((s) => s.state === 'draft').length;
    const dayLabel = (d: string) =>
      new Intl.DateTimeFormat(this.store.prefs.locale, {
        weekday: 'short',
        day: 'numeric',
        month: 'numeric',
        timeZone: 'UTC',
      }).format(new Date(`${d}T12:00:00Z`));
    return html`
      <h2>${msg('roster.title')}</h2>
      <div class="bar">
        <label for="roster-unit">${msg('roster.unit')}</label>
        <select
          id="roster-unit"
          data-testid="roster-unit"
          @change=${(e: Event) => {
            this.unitId = (e.target as HTMLSelectElement).value;
            this.cell = null;
            void this.reload();
          }}
        >
          ${this.unitsWithRoles().map(
            (u) => html`<option value=${u.id} ?selected=${u.id === this.unitId}>${u.name}</option>`,
          )}
        </select>
      </div>
      <div class="bar">
        <button
          data-testid="roster-span"
          aria-pressed=${this.span === 'month' ? 'true' : 'false'}
          @click=${() => this.toggleSpan()}
        >
          ${msg(this.span === 'week' ? 'roster.showMonth' : 'roster.showWeek')}
        </button>
        <button data-testid="roster-prev" @click=${() => this.move(-1)}>
          ${msg(this.span === 'week' ? 'roster.prevWeek' : 'roster.prevMonth')}
        </button>
        <span data-testid="roster-week"
          >${days.length ? `${dayLabel(days[0]!)} – ${dayLabel(days[days.length - 1]!)}` : ''}</span
        >
        <button data-testid="roster-next" @click=${() => this.move(1)}>
          ${msg(this.span === 'week' ? 'roster.nextWeek' : 'roster.nextMonth')}
        </button>
        ${
          this.span === 'week'
            ? html`<button data-testid="roster-copy" @click=${() => void this.copyWeek()}>
                ${msg('roster.copyWeek')}
              </button>`
            : nothing
        }
        <button data-testid="pattern-open" @click=${() => this.openPattern()}>
          ${msg('pattern.open')}
        </button>
        <button
          class="primary"
          data-testid="roster-publish"
          ?disabled=${drafts === 0}
          @click=${() => void this.publish()}
        >
          ${msg('roster.publish', { n: drafts })}
        </button>
      </div>
      <p class="muted" role="status" aria-live="polite" data-testid="roster-status">
        ${this.status}
      </p>
      ${this.error ? html`<p role="alert" data-testid="roster-error">${this.error}</p>` : nothing}
      ${
        this.report
          ? html`<p class="legend" data-testid="roster-summary">
              ${msg('roster.gaps', { n: this.report.gaps.length })} ·
              ${msg('roster.conflicts', {
                n: this.report.doubleBookings.length + this.report.restViolations.length,
              })}
              · <span class="muted">${msg('roster.legend')}</span>
            </p>`
          : nothing
      }
      <div class="grid">
        <table data-testid="roster-grid" class=${this.span}>
          <thead>
            <tr>
              <th scope="col">${msg('roster.role')}</th>
              ${days.map((d) => html`<th scope="col">${dayLabel(d)}</th>`)}
            </tr>
          </thead>
          <tbody>
            ${roles.map(
              (r) =>
                html`<tr data-testid="roster-row" data-role=${r.id}>
                  <th scope="row">
                    ${r.name}
                    <div class="rowtools">
                      <button
                        data-testid="roster-takeover"
                        aria-label=${msg('roster.takeoverFor', { role: r.name })}
                        @click=${() => this.openTakeover(r.id)}
                      >
                        ${msg('roster.takeover')}
                      </button>
                      <button
                        data-testid="roster-calendar"
                        aria-label=${msg('calendar.role', { role: r.name })}
                        @click=${() => void this.roleCalendar(r.id)}
                      >
                        ${msg('roster.calendar')}
                      </button>
                    </div>
                  </th>
                  ${days.map((d) => {
                    const gap = gapOn(this.report, r.id, d, zone);
                    return html`<td
                      class=${gap ? 'gap' : ''}
                      data-testid="roster-cell"
                      data-role=${r.id}
                      data-date=${d}
                      data-gap=${gap ? 'yes' : 'no'}
                    >
                      ${shiftsOn(this.shifts, r.id, d, zone).map((s) =>
                        this.shift(s, zone, conflicts.has(s.id)),
                      )}
                      <button
                        class="add"
                        data-testid="roster-add"
                        aria-label=${msg('roster.addFor', { role: r.name, date: dayLabel(d) })}
                        @click=${() => this.openCell(r.id, d)}
                      >
                        +
                      </button>
                    </td>`;
                  })}
                </tr>`,
            )}
          </tbody>
        </table>
      </div>
      ${this.calendar ? this.calendarBox() : nothing}
      ${this.cell || this.mode !== 'assign' ? this.assignForm() : nothing}
      ${this.pattern ? this.patternForm() : nothing}
    `;
  }

  private shift(s: ShiftView, zone: string, conflict: boolean) {
    const cls = `shift${s.state === 'draft' ? ' draft' : ''}${conflict ? ' conflict' : ''}`;
    const label = `${this.store.userName(s.userId)} ${localTime(s.start, zone)}–${localTime(s.end, zone)}`;
    return html`<div
      class=${cls}
      data-testid="roster-shift"
      data-state=${s.state}
      data-user=${s.userId}
      data-conflict=${conflict ? 'yes' : 'no'}
      title=${`${msg(`roster.kind.${s.kind}`)}${s.state === 'draft' ? ` · ${msg('roster.draft')}` : ''}`}
    >
      <span>${label}${s.state === 'draft' ? ` (${msg('roster.draft')})` : ''}</span>
      ${
        s.state === 'published' && Date.parse(s.end) > Date.now()
          ? html`<button
                data-testid="roster-substitute"
                aria-label=${msg('roster.substitute', { name: label })}
                title=${msg('roster.substitute', { name: label })}
                @click=${() => this.openSubstitute(s)}
              >
                ⇄
              </button>
              <button
                data-testid="roster-swap"
                aria-label=${msg('roster.swap', { name: label })}
                title=${msg('roster.swap', { name: label })}
                @click=${() => this.openSwap(s)}
              >
                ⇆
              </button>`
          : nothing
      }
      <button
        data-testid="roster-person-calendar"
        aria-label=${msg('calendar.person', { name: this.store.userName(s.userId) })}
        title=${msg('calendar.person', { name: this.store.userName(s.userId) })}
        @click=${() => void this.personCalendar(s.userId)}
      >
        📅
      </button>
      <button
        data-testid="roster-remove"
        aria-label=${msg('roster.remove', { name: label })}
        @click=${() => void this.cancel(s.id)}
      >
        ×
      </button>
    </div>`;
  }

  private assignForm() {
    const presets: ShiftPreset[] = ['day', 'night', 'day24'];
    const shift = this.target.shift;
    const title =
      this.mode === 'swap' && shift
        ? msg('roster.swapTitle', {
            name: `${this.store.userName(shift.userId)} ${localTime(shift.start, this.zone())}–${localTime(shift.end, this.zone())}`,
          })
        : this.mode === 'substitute' && shift
          ? msg('roster.substituteTitle', {
              name: `${this.store.userName(shift.userId)} ${localTime(shift.start, this.zone())}–${localTime(shift.end, this.zone())}`,
            })
          : this.mode === 'takeover'
            ? msg('roster.takeoverTitle', {
                role: this.store.role(this.target.roleId ?? '')?.name ?? '',
              })
            : msg('roster.assignTitle', {
                role: this.store.role(this.cell?.roleId ?? '')?.name ?? '',
                date: this.cell?.date ?? '',
              });
    return html`<section
      class="assign"
      data-testid="roster-assign"
      data-mode=${this.mode}
      aria-labelledby="assign-h"
    >
      <h3 id="assign-h">${title}</h3>
      ${this.mode === 'assign' ? this.presetChoice(presets) : nothing} ${this.personSearch()}
      ${this.mode === 'swap' && this.partner ? this.counterChoice(this.partner) : nothing}
      <div class="bar">
        <button data-testid="roster-assign-cancel" @click=${() => this.closeForm()}>
          ${msg('msg.cancel')}
        </button>
      </div>
    </section>`;
  }

  private presetChoice(presets: ShiftPreset[]) {
    return html`<div class="bar" role="radiogroup" aria-label=${msg('roster.preset')}>
      ${presets.map(
        (p) =>
          html`<label
            ><input
              type="radio"
              name="preset"
              data-testid=${`roster-preset-${p}`}
              .checked=${this.preset === p}
              @change=${() => (this.preset = p)}
            />${msg(`roster.preset.${p}`)}</label
          >`,
      )}
    </div>`;
  }

  private personSearch() {
    return html`<label for="assign-q">${msg('roster.person')}</label>
      <input
        id="assign-q"
        type="search"
        data-testid="roster-search"
        placeholder=${msg('search.placeholder')}
        .value=${this.query}
        @input=${(e: Event) => this.onQuery(e)}
        autocomplete="off"
      />
      <ul>
        ${this.found.map(
          (u) =>
            html`<li>
              <button
                data-testid="roster-pick"
                data-login=${u.login}
                @click=${() => void this.picked(u)}
              >
                ${u.fullName}${u.position ? html`<span class="muted"> · ${u.position}</span>` : nothing}
              </button>
            </li>`,
        )}
      </ul>`;
  }

  private counterChoice(p: { user: UserView; shifts: ShiftView[]; counter: string }) {
    const zone = this.zone();
    if (p.shifts.length === 0)
      return html`<p class="muted" data-testid="roster-swap-none">
        ${msg('roster.swapNone', { name: p.user.shortName })}
      </p>`;
    return html`<label for="roster-counter"
        >${msg('roster.swapCounter', { name: p.user.shortName })}</label
      >
      <select
        id="roster-counter"
        data-testid="roster-swap-counter"
        @change=${(e: Event) =>
          (this.partner = { ...p, counter: (e.target as HTMLSelectElement).value })}
      >
        ${p.shifts.map(
          (s) =>
            html`<option value=${s.id} ?selected=${s.id === p.counter}>
              ${this.store.role(s.roleId)?.name ?? ''} · ${s.start.slice(0, 10)}
              ${localTime(s.start, zone)}–${localTime(s.end, zone)}
            </option>`,
        )}
      </select>
      <button
        class="primary"
        data-testid="roster-swap-apply"
        ?disabled=${!p.counter}
        @click=${() => void this.applySwap()}
      >
        ${msg('roster.swapApply')}
      </button>`;
  }

  private openSwap(shift: ShiftView): void {
    this.cell = null;
    this.pattern = null;
    this.partner = null;
    this.mode = 'swap';
    this.target = { shift };
    this.focusSearch();
  }

  /** A coordinator trades the two shifts at once (the hub applies it on their behalf). */
  private async applySwap(): Promise<void> {
    const shift = this.target.shift;
    const p = this.partner;
    if (!shift || !p?.counter) return;
    try {
      await this.store.createSwap({
        kind: 'swap',
        shiftId: shift.id,
        toUserId: p.user.id,
        counterShiftId: p.counter,
      });
      this.status = msg('roster.swapped', {
        from: this.store.userName(shift.userId),
        to: p.user.shortName,
      });
      this.closeForm();
      await this.reload();
    } catch (err) {
      this.error = msg('error.generic', { reason: (err as Error).message });
    }
  }

  private closeForm(): void {
    this.partner = null;
    this.cell = null;
    this.mode = 'assign';
    this.target = {};
  }

  private focusSearch(): void {
    this.query = '';
    this.found = [];
    void this.updateComplete.then(() =>
      this.renderRoot.querySelector<HTMLInputElement>('#assign-q')?.focus(),
    );
  }

  private openSubstitute(shift: ShiftView): void {
    this.cell = null;
    this.pattern = null;
    this.mode = 'substitute';
    this.target = { shift };
    this.focusSearch();
  }

  private openTakeover(roleId: string): void {
    this.cell = null;
    this.pattern = null;
    this.mode = 'takeover';
    this.target = { roleId };
    this.focusSearch();
  }

  /** A person was picked in the form: what happens depends on the form's mode. */
  private async picked(u: UserView): Promise<void> {
    if (this.pattern) {
      this.pattern = { ...this.pattern, userId: u.id, userName: u.fullName };
      this.query = u.fullName;
      this.found = [];
      return;
    }
    if (this.mode === 'assign') return this.assign(u.id);
    if (this.mode === 'swap') {
      try {
        const shifts = (await this.store.shiftsOf(u.id)).filter(
          (x) => x.id !== this.target.shift?.id,
        );
        this.partner = { user: u, shifts, counter: shifts[0]?.id ?? '' };
        this.query = u.fullName;
        this.found = [];
      } catch (err) {
        this.error = msg('error.generic', { reason: (err as Error).message });
      }
      return;
    }
    try {
      if (this.mode === 'substitute' && this.target.shift) {
        await this.store.createSwap({
          kind: 'substitution',
          shiftId: this.target.shift.id,
          toUserId: u.id,
        });
        this.status = msg('roster.substituted', { name: u.shortName });
      } else if (this.mode === 'takeover' && this.target.roleId) {
        const role = this.store.role(this.target.roleId);
        await this.store.takeover(this.target.roleId, u.id);
        this.status = msg('roster.takenOver', { role: role?.name ?? '', name: u.shortName });
      }
      this.closeForm();
      await this.reload();
    } catch (err) {
      this.error = msg('error.generic', { reason: (err as Error).message });
    }
  }

  private async roleCalendar(roleId: string): Promise<void> {
    try {
      this.calendar = { roleId, url: await this.store.issueCalendar({ roleId }) };
    } catch (err) {
      this.error = msg('error.generic', { reason: (err as Error).message });
    }
  }

  private async personCalendar(userId: string): Promise<void> {
    try {
      const st = await this.store.calendarStatus(userId);
      this.calendar = { userId, url: '', issuedAt: st.issuedAt };
    } catch (err) {
      this.error = msg('error.generic', { reason: (err as Error).message });
    }
  }

  private async issuePersonCalendar(): Promise<void> {
    const c = this.calendar;
    if (!c?.userId) return;
    try {
      const url = await this.store.issueCalendar({ userId: c.userId });
      this.calendar = { ...c, url, issuedAt: new Date().toISOString() };
    } catch (err) {
      this.error = msg('error.generic', { reason: (err as Error).message });
    }
  }

  private calendarBox() {
    const c = this.calendar!;
    const title = c.userId
      ? msg('calendar.person', { name: this.store.userName(c.userId) })
      : msg('calendar.role', { role: this.store.role(c.roleId ?? '')?.name ?? '' });
    return html`<section
      class="assign"
      data-testid="roster-calendar-box"
      data-subject=${c.userId ? 'person' : 'role'}
      aria-labelledby="calendar-h"
    >
      <h3 id="calendar-h">${title}</h3>
      ${
        c.userId && !c.url
          ? html`<p data-testid="roster-calendar-state" data-active=${c.issuedAt ? 'yes' : 'no'}>
              ${
                c.issuedAt
                  ? msg('calendar.activeSince', {
                      time: `${c.issuedAt.slice(0, 10)} ${localTime(c.issuedAt, this.zone())}`,
                    })
                  : msg('calendar.none')
              }
            </p>`
          : nothing
      }
      <div class="bar">
        ${
          c.url
            ? html`<input
                  class="link"
                  readonly
                  data-testid="roster-calendar-link"
                  aria-label=${title}
                  .value=${c.url}
                />
                <button
                  data-testid="roster-calendar-copy"
                  @click=${() => void this.copyLink(c.url)}
                >
                  ${msg('calendar.copy')}
                </button>`
            : html`<button
                class="primary"
                data-testid="roster-calendar-issue"
                @click=${() => void this.issuePersonCalendar()}
              >
                ${msg(c.issuedAt ? 'calendar.reissue' : 'calendar.issue')}
              </button>`
        }
        ${
          c.url || c.issuedAt
            ? html`<button
                data-testid="roster-calendar-revoke"
                @click=${() => void this.revokeCalendar()}
              >
                ${msg('calendar.revoke')}
              </button>`
            : nothing
        }
        <button @click=${() => (this.calendar = null)}>${msg('msg.cancel')}</button>
      </div>
      <p class="muted">${msg('calendar.hint')}</p>
    </section>`;
  }

  private async copyLink(url: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(url);
      this.status = msg('calendar.copied');
    } catch {
      this.renderRoot.querySelector<HTMLInputElement>('input.link')?.select();
    }
  }

  private async revokeCalendar(): Promise<void> {
    const c = this.calendar;
    if (!c) return;
    try {
      await this.store.revokeCalendar(c.userId ? { userId: c.userId } : { roleId: c.roleId ?? '' });
      this.calendar = null;
      this.status = msg('calendar.revoked');
    } catch (err) {
      this.error = msg('error.generic', { reason: (err as Error).message });
    }
  }

  private openPattern(): void {
    const roles = this.rolesOfUnit();
    this.closeForm();
    this.pattern = {
      roleId: roles[0]?.id ?? '',
      name: '',
      kind: 'cycle',
      anchorDate: this.days()[0] ?? this.monday,
      startTime: '08:00',
      hours: 24,
      cycleDays: 4,
      weekdays: [],
      userId: '',
      userName: '',
      skip: '',
    };
    this.focusSearch();
  }

  private patternForm() {
    const f = this.pattern!;
    const set = (patch: Partial<PatternForm>) => (this.pattern = { ...f, ...patch });
    const value = (e: Event) => (e.target as HTMLInputElement).value;
    const weekday = (d: number) =>
      new Intl.DateTimeFormat(this.store.prefs.locale, {
        weekday: 'short',
        timeZone: 'UTC',
      }).format(new Date(Date.UTC(2024, 0, d)));
    return html`<section class="assign" data-testid="pattern-form" aria-labelledby="pattern-h">
      <h3 id="pattern-h">${msg('pattern.title')}</h3>
      <label for="pattern-role">${msg('roster.role')}</label>
      <select
        id="pattern-role"
        data-testid="pattern-role"
        @change=${(e: Event) => set({ roleId: (e.target as HTMLSelectElement).value })}
      >
        ${this.rolesOfUnit().map(
          (r) => html`<option value=${r.id} ?selected=${r.id === f.roleId}>${r.name}</option>`,
        )}
      </select>
      <div class="bar" role="radiogroup" aria-label=${msg('pattern.kind')}>
        ${(['cycle', 'weekly'] as const).map(
          (k) =>
            html`<label
              ><input
                type="radio"
                name="pattern-kind"
                data-testid=${`pattern-kind-${k}`}
                .checked=${f.kind === k}
                @change=${() => set({ kind: k })}
              />${msg(`pattern.kind.${k}`)}</label
            >`,
        )}
      </div>
      ${
        f.kind === 'cycle'
          ? html`<label
              >${msg('pattern.cycleDays')}
              <input
                type="number"
                min="1"
                max="62"
                data-testid="pattern-cycle"
                .value=${String(f.cycleDays)}
                @input=${(e: Event) => set({ cycleDays: Number(value(e)) || 1 })}
            /></label>`
          : html`<fieldset class="bar">
              <legend>${msg('pattern.weekdays')}</legend>
              ${[1, 2, 3, 4, 5, 6, 7].map(
                (d) =>
                  html`<label
                    ><input
                      type="checkbox"
                      data-testid="pattern-weekday"
                      data-day=${d}
                      .checked=${f.weekdays.includes(d)}
                      @change=${(e: Event) =>
                        set({
                          weekdays: (e.target as HTMLInputElement).checked
                            ? [...f.weekdays, d]
                            : f.weekdays.filter((x) => x !== d),
                        })}
                    />${weekday(d)}</label
                  >`,
              )}
            </fieldset>`
      }
      <div class="bar">
        <label
          >${msg('pattern.anchor')}
          <input
            type="date"
            data-testid="pattern-anchor"
            .value=${f.anchorDate}
            @input=${(e: Event) => set({ anchorDate: value(e) })}
        /></label>
        <label
          >${msg('pattern.start')}
          <input
            type="time"
            data-testid="pattern-start"
            .value=${f.startTime}
            @input=${(e: Event) => set({ startTime: value(e) })}
        /></label>
        <label
          >${msg('pattern.hours')}
          <input
            type="number"
            min="1"
            max="48"
            data-testid="pattern-hours"
            .value=${String(f.hours)}
            @input=${(e: Event) => set({ hours: Number(value(e)) || 24 })}
        /></label>
      </div>
      <label for="pattern-skip">${msg('pattern.skip')}</label>
      <input
        id="pattern-skip"
        data-testid="pattern-skip"
        .value=${f.skip}
        @input=${(e: Event) => set({ skip: value(e) })}
      />
      ${f.userName ? html`<p data-testid="pattern-person">${f.userName}</p>` : nothing}
      ${this.personSearch()}
      <div class="bar">
        <button
          class="primary"
          data-testid="pattern-apply"
          @click=${() => void this.applyPattern()}
        >
          ${msg('pattern.apply')}
        </button>
        <button data-testid="pattern-cancel" @click=${() => (this.pattern = null)}>
          ${msg('msg.cancel')}
        </button>
      </div>
    </section>`;
  }

  /** Creates the pattern and expands it into drafts for the days on screen. */
  private async applyPattern(): Promise<void> {
    const f = this.pattern;
    if (!f) return;
    const role = this.store.role(f.roleId);
    const made = patternRequest({ ...f, name: f.name || `${role?.name ?? ''}: ${f.userName}` });
    if (!made.ok) {
      this.error = msg(`pattern.problem.${made.problem}`);
      return;
    }
    const days = this.days();
    try {
      const pattern = await this.store.createPattern(made.body);
      const res = await this.store.expandPattern(pattern.id, days[0]!, days[days.length - 1]!);
      this.pattern = null;
      this.error = '';
      this.status = msg('pattern.created', { n: res.created });
      await this.reload();
    } catch (err) {
      this.error = msg('error.generic', { reason: (err as Error).message });
    }
  }

  private openCell(roleId: string, date: string): void {
    this.closeForm();
    this.pattern = null;
    this.cell = { roleId, date };
    this.focusSearch();
  }

  private onQuery(e: Event): void {
    this.query = (e.target as HTMLInputElement).value;
    this.lookUpStaff(
      this.query,
      (items) => (this.found = (items ?? []).slice(0, 8)),
      (err) => (this.error = msg('error.generic', { reason: err.message })),
    );
  }

  private async assign(userId: string): Promise<void> {
    const cell = this.cell;
    if (!cell) return;
    const role = this.store.role(cell.roleId);
    const times = presetTimes(this.preset, cell.date, role?.timeZone ?? this.zone());
    try {
      await this.store.createShift({ roleId: cell.roleId, userId, ...times, draft: true });
      this.cell = null;
      this.status = msg('roster.assigned', { name: this.store.userName(userId) });
      await this.reload();
    } catch (err) {
      this.error = msg('error.generic', { reason: (err as Error).message });
    }
  }

  private async cancel(id: string): Promise<void> {
    try {
      await this.store.cancelShift(id);
      await this.reload();
    } catch (err) {
      this.error = msg('error.generic', { reason: (err as Error).message });
    }
  }

  private async publish(): Promise<void> {
    const { from, to } = this.period();
    try {
      let n = 0;
      for (const r of this.rolesOfUnit()) n += (await this.store.publish(r.id, from, to)).published;
      this.status = msg('roster.published', { n });
      await this.reload();
    } catch (err) {
      this.error = msg('error.generic', { reason: (err as Error).message });
    }
  }

  /** Copies this week's shifts (times and people) into the next week as drafts, then shows it. */
  private async copyWeek(): Promise<void> {
    const zone = this.zone();
    const later = (t: string) =>
      zonedInstant(addDays(localDate(t, zone), 7), localTime(t, zone), zone).toISOString();
    const source = this.shifts.filter((s) => s.state !== 'cancelled' && s.source !== 'takeover');
    try {
      for (const s of source) {
        await this.store.createShift({
          roleId: s.roleId,
          userId: s.userId,
          start: later(s.start),
          end: later(s.end),
          draft: true,
        });
      }
      this.monday = addDays(this.monday, 7);
      this.status = msg('roster.copied', { n: source.length });
      await this.reload();
    } catch (err) {
      this.error = msg('error.generic', { reason: (err as Error).message });
    }
  }

  private toggleSpan(): void {
    this.span = this.span === 'week' ? 'month' : 'week';
    if (this.span === 'week') this.monday = weekStart(this.monday);
    this.cell = null;
    void this.reload();
  }

  private move(step: number): void {
    this.monday =
      this.span === 'week' ? addDays(this.monday, 7 * step) : addMonths(this.monday, step);
    this.cell = null;
    void this.reload();
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ks-roster': KsRoster;
  }
}
