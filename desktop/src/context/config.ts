/**
 * The `context` part of the desktop configuration (machine policy or user
 * file), validated when the configuration is loaded. Absent adapters are off.
 */
import { z } from 'zod';
import { DEFAULT_FHIRCAST_EVENTS } from './fhircast.js';
import { LOOPBACK_HOST, MIN_SECRET_LENGTH } from './loopback.js';

const httpUrl = z
  .string()
  .url()
  .max(2048)
  .refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) URL');

export const fhircastConfigSchema = z
  .object({
    hubUrl: httpUrl,
    topic: z.string().trim().min(1).max(1024),
    events: z
      .array(z.string().trim().min(1).max(128))
      .max(32)
      .default([...DEFAULT_FHIRCAST_EVENTS]),
    leaseSeconds: z.number().int().min(60).max(86_400).default(3600),
    identifierSystem: z.string().trim().min(1).max(512).optional(),
    resourceIdSystem: z.string().trim().min(1).max(512).optional(),
    accessToken: z.string().min(1).max(8192).optional(),
  })
  .strict();

export const loopbackConfigSchema = z
  .object({
    /** Only the loopback address; anything else is a configuration error. */
    host: z.literal(LOOPBACK_HOST).default(LOOPBACK_HOST),
    port: z.number().int().min(1024).max(65_535),
    secret: z.string().min(MIN_SECRET_LENGTH).max(512),
  })
  .strict();

export const contextConfigSchema = z
  .object({
    fhircast: fhircastConfigSchema.optional(),
    loopback: loopbackConfigSchema.optional(),
    /** Identifier system assumed for a deep link or command line that sends only a value. */
    defaultSystem: z.string().trim().min(1).max(512).optional(),
  })
  .strict();
export type ContextConfig = z.infer<typeof contextConfigSchema>;
