import { randomBytes } from 'node:crypto';
import type { Principal } from '@healthit/core';

/** Options of {@link createEventTickets}. */
export interface EventTicketOptions {
  /** How long a ticket can be redeemed after it was issued, ms (default 30 000). */
  readonly ttlMs?: number;
  /**
   * Tickets outstanding at most (default 1 000). When full, the oldest outstanding ticket is
   * forgotten (its page asks for a new one on its next reconnect).
   */
  readonly maxOutstanding?: number;
  /** Clock, epoch ms (default `Date.now`). */
  readonly now?: () => number;
}

/** Single-use tickets for the live event stream, which a browser's `EventSource` opens without headers. */
export interface EventTickets {
  /** A new ticket for `principal`: 256 random bits as base64url. */
  issue(principal: Principal): string;
  /** The principal of a ticket issued less than `ttlMs` ago and not redeemed before; the ticket is spent. */
  redeem(ticket: string | undefined): Principal | undefined;
  /** Tickets outstanding now. */
  readonly size: number;
}

/**
 * Tickets that let a signed-in page open the live event stream: the page asks for one with its
 * bearer token (`POST api/events/ticket`) and opens `api/events?ticket=…`. A ticket is unguessable
 * (256 random bits), single use and short lived, so the bearer token itself never appears in a URL
 * (where proxies and logs would keep it).
 */
export function createEventTickets(options: EventTicketOptions = {}): EventTickets {
  const ttlMs = options.ttlMs ?? 30_000;
  const max = options.maxOutstanding ?? 1_000;
  const now = options.now ?? Date.now;
  // Insertion order is issue order: the first entry is the oldest.
  const tickets = new Map<string, { principal: Principal; issuedAt: number }>();
  const sweep = (at: number) => {
    for (const [ticket, t] of tickets) {
      if (at - t.issuedAt < ttlMs) break;
      tickets.delete(ticket);
    }
  };
  return {
    issue(principal) {
      const at = now();
      sweep(at);
      while (tickets.size >= max) tickets.delete(tickets.keys().next().value as string);
      const ticket = randomBytes(32).toString('base64url');
      tickets.set(ticket, { principal, issuedAt: at });
      return ticket;
    },
    redeem(ticket) {
      if (typeof ticket !== 'string' || ticket.length !== 43) return undefined;
      sweep(now());
      const t = tickets.get(ticket);
      if (t === undefined) return undefined;
      tickets.delete(ticket);
      return t.principal;
    },
    get size() {
      return tickets.size;
    },
  };
}
