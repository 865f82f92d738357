/**
 * The Redis connection of a producer or worker. The first connection must succeed within a few
 * seconds (QUEUE_UNAVAILABLE otherwise: a wrong address is reported, never waited on forever);
 * after that, ioredis reconnects on its own with a capped backoff (a restarted Redis is picked
 * up again) and BullMQ carries on. maxRetriesPerRequest null is what BullMQ's blocking
 * commands require.
 */

import { Redis } from 'ioredis';
import { LwganetError } from '../errors.js';
import type { QueueAddress } from './queue-address.js';

export async function connectRedis(address: QueueAddress, connectTimeoutMs = 5000): Promise<Redis> {
  const client = new Redis({
    host: address.host,
    port: address.port,
    db: address.db,
    username: address.username,
    password: address.password,
    tls: address.tls ? {} : undefined,
    lazyConnect: true,
    maxRetriesPerRequest: null,
    connectTimeout: connectTimeoutMs,
    retryStrategy: (times) => Math.min(100 * times, 2000),
  });
  let lastError: Error | null = null;
  client.on('error', (error: Error) => (lastError = error)); // reconnects are ioredis's job; failures surface on the commands
  try {
    await Promise.race([
      client.connect(),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${connectTimeoutMs} ms`)), connectTimeoutMs).unref()),
    ]);
    await client.ping();
  } catch (error) {
    client.disconnect();
    throw new LwganetError('QUEUE_UNAVAILABLE', `Redis at ${address.display} cannot be reached: ${(lastError ?? (error as Error)).message}`, { cause: error });
  }
  return client;
}
