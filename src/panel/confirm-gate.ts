/**
 * A command waiting for a person's yes. A request holds the command here (never in the browser) under a
 * fresh id; only an answer naming that id, before it expires, lets it go, exactly as it was asked. A new
 * request replaces the one waiting, so an old dialog cannot send anything.
 */
export type Answer = 'confirm' | 'dismiss';

type Pending = { id: string; command: unknown; topic: unknown; expiresMs: number };

export type GateResult =
  | { sent: true; command: unknown; topic: unknown }
  | { sent: false; why: 'dismissed' | 'expired' | 'not waiting' };

export class ConfirmGate {
  private pending: Pending | undefined;
  private count = 0;

  constructor(
    private readonly timeoutMs: number,
    private readonly prefix: string,
  ) {}

  /** Holds `command` and returns the id its answer must carry. */
  request(command: unknown, topic: unknown, nowMs: number): string {
    const id = `${this.prefix}-${nowMs.toString(36)}-${++this.count}`;
    this.pending = { id, command: structuredClone(command), topic, expiresMs: nowMs + this.timeoutMs };
    return id;
  }

  answer(id: unknown, answer: Answer, nowMs: number): GateResult {
    const p = this.pending;
    if (!p || id !== p.id) return { sent: false, why: 'not waiting' };
    this.pending = undefined;
    if (answer === 'dismiss') return { sent: false, why: 'dismissed' };
    if (nowMs > p.expiresMs) return { sent: false, why: 'expired' };
    return { sent: true, command: p.command, topic: p.topic };
  }

  get waiting(): boolean {
    return this.pending !== undefined;
  }
}
