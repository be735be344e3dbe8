/**
 * A small FHIRcast (STU3) hub for tests: form-encoded subscription on
 * `POST /fhircast`, a WebSocket channel per subscription, confirmation or
 * denial frames, event notifications, acknowledgements recorded, and the
 * current-context read on `GET /fhircast/{topic}`. Behaviour switches let a
 * test reproduce a hub that denies, fails, answers the older way or offers
 * no context read.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface HubBehaviour {
  /** `json`: 202 with `{"hub.channel.endpoint"}` (STU3); `body`: the URL as plain body (older). */
  endpointStyle: 'json' | 'body';
  contextRead: boolean;
  deny: boolean;
  confirm: boolean;
  /** Lease the hub grants in its confirmation. */
  grantedLease: number | null;
  /** Answer subscriptions with this status instead of 202. */
  subscribeStatus: number | null;
  /** Answer subscriptions with this endpoint instead of a real channel. */
  endpointOverride: string | null;
  /** Treat a renewal as a new subscription (a new channel endpoint). */
  newChannelOnRenewal: boolean;
}

export interface Ack {
  id: string;
  status: unknown;
}

export class TestFhircastHub {
  readonly behaviour: HubBehaviour = {
    endpointStyle: 'json',
    contextRead: true,
    deny: false,
    confirm: true,
    grantedLease: null,
    subscribeStatus: null,
    endpointOverride: null,
    newChannelOnRenewal: false,
  };
  /** Every subscription request's form fields, in order. */
  readonly requests: Array<Record<string, string>> = [];
  readonly acks: Ack[] = [];
  /** Frames from the subscriber that were not acknowledgements. */
  readonly otherFrames: string[] = [];
  contextReads = 0;
  connections = 0;
  /** What the current-context read returns. */
  currentContext: unknown[] = [];
  private readonly server: Server;
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly channels = new Map<string, { topic: string; socket: WebSocket | null }>();
  private nextChannel = 1;

  constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('upgrade', (req, socket, head) => {
      const id = /^\/ws\/([a-z0-9-]+)$/.exec(req.url ?? '')?.[1];
      const channel = id ? this.channels.get(id) : undefined;
      if (!channel) {
        socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        this.connections++;
        channel.socket = ws;
        ws.on('message', (data: Buffer) => this.onClientFrame(data.toString('utf8')));
        ws.on('close', () => {
          if (channel.socket === ws) channel.socket = null;
        });
        this.verify(ws, channel.topic, this.requests.at(-1) ?? {});
      });
    });
  }

  async start(): Promise<this> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return this;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/fhircast`;
  }

  /** Open channel sockets. */
  sockets(): WebSocket[] {
    return [...this.channels.values()].flatMap((c) => (c.socket ? [c.socket] : []));
  }

  /** Sends a frame (object as JSON, or raw text/bytes) to every open channel. */
  send(frame: unknown, opts: { binary?: boolean } = {}): void {
    const data =
      typeof frame === 'string' || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame);
    for (const s of this.sockets()) s.send(data, { binary: opts.binary ?? false });
  }

  /** Sends an event notification in the STU3 shape. */
  sendEvent(
    event: string,
    context: unknown,
    opts: { id: string; timestamp: string; topic?: string },
  ): void {
    this.send({
      timestamp: opts.timestamp,
      id: opts.id,
      event: { 'hub.topic': opts.topic ?? this.lastTopic(), 'hub.event': event, context },
    });
  }

  /** Cuts every channel without a close handshake (a hub restart, a network drop). */
  dropSockets(): void {
    for (const s of this.sockets()) s.terminate();
  }

  async close(): Promise<void> {
    for (const s of this.wss.clients) s.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private lastTopic(): string {
    return this.requests.at(-1)?.['hub.topic'] ?? '';
  }

  private verify(ws: WebSocket, topic: string, req: Record<string, string>): void {
    if (this.behaviour.deny) {
      ws.send(
        JSON.stringify({
          'hub.mode': 'denied',
          'hub.topic': topic,
          'hub.events': req['hub.events'],
          'hub.reason': 'session unknown',
        }),
      );
      return;
    }
    if (!this.behaviour.confirm) return;
    ws.send(
      JSON.stringify({
        'hub.mode': 'subscribe',
        'hub.topic': topic,
        'hub.events': req['hub.events'],
        'hub.lease_seconds': this.behaviour.grantedLease ?? Number(req['hub.lease_seconds']),
      }),
    );
  }

  private onClientFrame(text: string): void {
    try {
      const obj = JSON.parse(text) as Record<string, unknown>;
      if (typeof obj.id === 'string' && 'status' in obj) {
        this.acks.push({ id: obj.id, status: obj.status });
        return;
      }
    } catch {
      // recorded below
    }
    this.otherFrames.push(text);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const path = req.url ?? '';
    if (req.method === 'GET' && path.startsWith('/fhircast/')) {
      this.contextReads++;
      if (!this.behaviour.contextRead) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ 'context.type': 'Patient', context: this.currentContext }));
      return;
    }
    if (req.method !== 'POST' || path !== '/fhircast') return void res.writeHead(404).end();
    if (req.headers['content-type'] !== 'application/x-www-form-urlencoded') {
      return void res.writeHead(415).end();
    }
    const form = Object.fromEntries(new URLSearchParams(body));
    this.requests.push(form);
    if (this.behaviour.subscribeStatus !== null) {
      return void res.writeHead(this.behaviour.subscribeStatus).end('{"error":"no"}');
    }
    const topic = form['hub.topic'] ?? '';
    let endpoint: string;
    const existing = form['hub.channel.endpoint'];
    const existingId = existing ? /\/ws\/([a-z0-9-]+)$/.exec(existing)?.[1] : undefined;
    const channel = existingId ? this.channels.get(existingId) : undefined;
    if (form['hub.mode'] === 'unsubscribe') {
      if (channel && existingId) {
        channel.socket?.close(1000);
        this.channels.delete(existingId);
      }
      return void res.writeHead(202).end();
    }
    if (channel && existing && !this.behaviour.newChannelOnRenewal) {
      endpoint = existing;
      // Renewal: the hub confirms again on the open channel.
      if (channel.socket) this.verify(channel.socket, topic, form);
    } else {
      const id = `c${this.nextChannel++}`;
      this.channels.set(id, { topic, socket: null });
      endpoint = `ws://127.0.0.1:${this.port}/ws/${id}`;
    }
    if (this.behaviour.endpointOverride !== null) endpoint = this.behaviour.endpointOverride;
    if (this.behaviour.endpointStyle === 'json') {
      res.writeHead(202, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ 'hub.channel.endpoint': endpoint }));
    } else {
      res.writeHead(202, { 'content-type': 'text/plain' });
      res.end(endpoint);
    }
  }
}

/** A FHIRcast context entry for a patient (FHIR Patient with identifiers). */
export function patientEntry(
  identifier: Array<{ system?: string; value: string }>,
  extra: Record<string, unknown> = {},
): unknown {
  return {
    key: 'patient',
    resource: { resourceType: 'Patient', id: 'res-1', identifier, ...extra },
  };
}

export function encounterEntry(value: string, system?: string): unknown {
  return {
    key: 'encounter',
    resource: {
      resourceType: 'Encounter',
      id: `enc-${value}`,
      identifier: [system ? { system, value } : { value }],
    },
  };
}
