import type { EntitySchema } from 'typeorm';
import type { Route } from './http/routes.js';

/** What a domain module contributes to the hub. */
export interface HubModule {
  name: string;
  routes: Route[];
  /** Called after the database is open, before the port listens. */
  start?(): Promise<void>;
  /** Called after the port is closed, before the database closes. */
  stop?(): Promise<void>;
}

export type Entities = EntitySchema[];
