/**
 * `--queue redis://[:PASSWORD@]HOST[:PORT]/NAME[?db=N]` (rediss:// for TLS): where the Redis
 * server is and which BullMQ queue on it. The queue name is the URL's path; it keeps batches of
 * different projects on one server apart.
 */

import { InvalidArgumentError } from 'commander';

export interface QueueAddress {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls: boolean;
  name: string;
  /** The address without password, for messages. */
  display: string;
}

export function parseQueueAddress(value: string): QueueAddress {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('must be a URL like redis://HOST:PORT/QUEUE.');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new InvalidArgumentError('must start with redis:// or rediss://.');
  const name = decodeURIComponent(url.pathname.replace(/^\/+/, ''));
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new InvalidArgumentError('must end in a queue name (letters, digits, ".", "_", "-"): redis://HOST:PORT/QUEUE.');
  const db = Number(url.searchParams.get('db') ?? '0');
  if (!Number.isSafeInteger(db) || db < 0) throw new InvalidArgumentError('has a bad ?db= (a non-negative integer).');
  const port = url.port === '' ? 6379 : Number(url.port);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return {
    host,
    port,
    db,
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    tls: url.protocol === 'rediss:',
    name,
    display: `${url.protocol}//${url.host}/${name}${db ? `?db=${db}` : ''}`,
  };
}
