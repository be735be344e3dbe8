/**
 * The context service: the adapters behind one current context. Whatever
 * adapter spoke last wins (the MIS drives all of them from the same user
 * action); a FHIRcast channel that drops marks the shared context `lost`
 * until it is in step again or another adapter sets a patient.
 */
import { samePatientContext, type PatientContextUpdate } from '../common/patient-context.js';
import type { ContextLog, ParseResult, Scheduler } from './common.js';
import { FhircastAdapter } from './fhircast.js';
import { LoopbackListener } from './loopback.js';
import { parsePatientArgv, parsePatientUrl } from './url.js';

export interface ContextServiceOptions {
  fhircast?: {
    hubUrl: string;
    topic: string;
    events?: string[];
    leaseSeconds?: number;
    identifierSystem?: string;
    resourceIdSystem?: string;
    accessToken?: string;
  };
  /** Absent = off. */
  loopback?: { port: number; secret: string; host?: string };
  /** Identifier system for a deep link or command line that sends only a value. */
  defaultSystem?: string;
  log: ContextLog;
  now?: () => Date;
  /** Timer seam for FHIRcast lease renewal and reconnect backoff (tests). */
  scheduler?: Scheduler;
}

export interface ContextService {
  start(): Promise<void>;
  stop(): Promise<void>;
  current(): PatientContextUpdate;
  subscribe(listener: (u: PatientContextUpdate) => void): () => void;
  /** From a deep link; false (and a logged reason) when the link is unusable. */
  acceptUrl(url: string): boolean;
  /** From the first launch or a second instance; false when argv carries no usable patient. */
  acceptArgv(argv: readonly string[]): boolean;
  /** The loopback listener's bound port, when it runs (0 otherwise). */
  loopbackPort(): number;
}

export function createContextService(opts: ContextServiceOptions): ContextService {
  const listeners = new Set<(u: PatientContextUpdate) => void>();
  let current: PatientContextUpdate = { state: 'none', context: null };
  const parseOpts = { defaultSystem: opts.defaultSystem, now: opts.now };

  const publish = (next: PatientContextUpdate): void => {
    if (sameUpdate(current, next)) return;
    current = next;
    for (const l of [...listeners]) {
      try {
        l(next);
      } catch (err) {
        opts.log.warn(
          { reason: 'context.listener_failed', err: err instanceof Error ? err.name : 'unknown' },
          'context listener failed',
        );
      }
    }
  };

  const fromInput = (result: ParseResult, source: string, quietReason?: string): boolean => {
    if (!result.ok) {
      if (result.reason !== quietReason) {
        opts.log.warn({ reason: result.reason, source }, 'patient context input rejected');
      }
      return false;
    }
    opts.log.info({ source }, 'patient context set');
    publish({ state: 'active', context: result.context });
    return true;
  };

  const fhircast = opts.fhircast
    ? new FhircastAdapter({
        ...opts.fhircast,
        log: opts.log,
        now: opts.now,
        scheduler: opts.scheduler,
        onUpdate: (u) => {
          // A FHIRcast `lost` keeps whatever patient is shown (from any adapter) but flags it.
          if (u.state === 'lost')
            publish({ state: 'lost', context: current.context, reason: u.reason });
          else publish(u);
        },
      })
    : null;

  const loopback = opts.loopback
    ? new LoopbackListener({
        ...opts.loopback,
        log: opts.log,
        now: opts.now,
        onContext: (result) => {
          if (result === null) {
            opts.log.info({ source: 'loopback' }, 'patient context cleared');
            publish({ state: 'none', context: null });
          } else fromInput(result, 'loopback');
        },
      })
    : null;

  let started = false;
  return {
    async start() {
      if (started) return;
      started = true;
      // A listener that cannot bind (port taken) must not keep FHIRcast from running.
      if (loopback) {
        await loopback.start().catch((err: unknown) => {
          opts.log.warn(
            { reason: 'loopback.start_failed', err: err instanceof Error ? err.name : 'unknown' },
            'loopback listener not started',
          );
        });
      }
      if (fhircast) await fhircast.start();
    },
    async stop() {
      if (!started) return;
      started = false;
      await Promise.all([fhircast?.stop(), loopback?.stop()]);
    },
    current: () => current,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    acceptUrl: (url) => fromInput(parsePatientUrl(url, parseOpts), 'url'),
    acceptArgv: (argv) => fromInput(parsePatientArgv(argv, parseOpts), 'argv', 'argv.no_context'),
    loopbackPort: () => loopback?.port ?? 0,
  };
}

function sameUpdate(a: PatientContextUpdate, b: PatientContextUpdate): boolean {
  return a.state === b.state && a.reason === b.reason && samePatientContext(a.context, b.context);
}
